// Adaptor (identity at start, parity with a Python reference forward, gradients) and the model
// bundle (round trip, validation of corrupt or mismatched files).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <random>

#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "lsfa/core/error.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/safetensors.h"
#include "lsfa/model/adaptor.h"
#include "lsfa/model/bundle.h"
#include "test_util.h"

namespace {

lsfa::Adaptor perturbed_adaptor(int64_t dim, int64_t heads, uint64_t seed) {
  lsfa::Adaptor a({dim, heads, 2, 1e-6}, seed);
  lsfa::StateDict sd;
  a.save(sd, "");
  // Give every tensor non-trivial values (the zero-initialised projections too).
  at::manual_seed(static_cast<uint64_t>(seed) + 7);
  for (auto &kv : sd) kv.second = kv.second + 0.05 * at::randn(kv.second.sizes());
  return lsfa::Adaptor::load(sd, "", {dim, heads, 2, 1e-6});
}

}  // namespace

TEST(Adaptor, FreshAdaptorIsExactlyTheIdentity) {
  lsfa::Adaptor a({48, 0, 2, 1e-6}, 3);
  EXPECT_TRUE(a.is_identity());
  EXPECT_EQ(a.config().heads, 1);  // 48 is not a multiple of 64
  at::Tensor x = at::randn({2, 17, 48});
  EXPECT_TRUE(at::equal(a.forward(x), x));
  at::Tensor x2 = at::randn({5, 48});
  EXPECT_TRUE(at::equal(a.forward(x2), x2));
}

TEST(Adaptor, SameSeedSameWeightsDifferentSeedDifferent) {
  lsfa::Adaptor a({64, 0, 2, 1e-6}, 11), b({64, 0, 2, 1e-6}, 11), c({64, 0, 2, 1e-6}, 12);
  auto pa = a.parameters(), pb = b.parameters(), pc = c.parameters();
  bool any_diff = false;
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(at::equal(pa[i], pb[i]));
    any_diff |= !at::equal(pa[i], pc[i]);
  }
  EXPECT_TRUE(any_diff);
}

TEST(Adaptor, MatchesPythonReferenceForwardAndGradient) {
  lsfa::test::TempDir dir;
  const int64_t dim = 128, heads = 2;
  lsfa::Adaptor a = perturbed_adaptor(dim, heads, 5);
  EXPECT_FALSE(a.is_identity());
  at::manual_seed(1);
  at::Tensor x = at::randn({2, 9, dim}).requires_grad_(true);
  at::Tensor w = at::randn({2, 9, dim});
  at::Tensor out = a.forward(x);
  (out * w).sum().backward();

  lsfa::StateDict sd;
  a.save(sd, "adaptor.");
  sd["input"] = x.detach();
  sd["weight"] = w;
  lsfa::write_safetensors(dir.file("in.safetensors"), sd,
                          {{"heads", std::to_string(heads)}, {"eps", "1e-6"}});
  std::string log;
  ASSERT_EQ(
      lsfa::test::run_python("adaptor_reference.py",
                             dir.file("in.safetensors") + " " + dir.file("out.safetensors"), &log),
      0)
      << log;
  auto ref = lsfa::read_safetensors(dir.file("out.safetensors"));
  EXPECT_LT((out.detach() - ref.tensors.at("output")).abs().max().item<float>(), 1e-4);
  EXPECT_LT((x.grad() - ref.tensors.at("input_grad")).abs().max().item<float>(), 1e-4);
}

TEST(Adaptor, RejectsWrongWidthAndMissingWeights) {
  lsfa::Adaptor a({32, 0, 2, 1e-6}, 1);
  EXPECT_THROW(a.forward(at::randn({4, 31})), lsfa::Error);
  lsfa::StateDict sd;
  a.save(sd, "p.");
  sd.erase("p.mlp.fc2.weight");
  try {
    lsfa::Adaptor::load(sd, "p.", {32, 0, 2, 1e-6});
    FAIL();
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("p.mlp.fc2.weight"), std::string::npos);
  }
}

namespace {

lsfa::ModelBundle sample_bundle() {
  lsfa::ModelBundle b;
  b.extractor.preset = "small";
  b.extractor.seed = 42;
  b.extractor.groups = 64;
  b.extractor.group_size = 16;
  b.extractor_identity = "preset=small;rgb=random:42;points=random:42";
  b.method = "lsfa";
  b.created = "2026-11-29T00:00:00Z";
  b.calibration.image_threshold = 2.5;
  b.calibration.pixel_threshold = 3.25;
  b.calibration.rgb = {{1.5, 0.5, 10}, {0.7, 0.2, 1000}};
  b.calibration.points = {{2.5, 1.5, 10}, {1.7, 1.2, 1000}};
  b.map_low = -1;
  b.map_high = 6;
  b.training_json = R"({"epochs":3,"seed":42})";
  lsfa::ModalityModel rgb;
  rgb.adaptor = perturbed_adaptor(64, 1, 2);
  rgb.bank = at::randn({100, 64});
  rgb.bank_source_size = 1000;
  lsfa::ModalityModel pts;
  pts.adaptor = lsfa::Adaptor({96, 0, 2, 1e-6}, 3);
  pts.bank = at::randn({80, 96});
  pts.bank_source_size = 800;
  b.rgb = rgb;
  b.points = pts;
  return b;
}

}  // namespace

TEST(Bundle, RoundTripKeepsEverything) {
  lsfa::test::TempDir dir;
  lsfa::ModelBundle b = sample_bundle();
  lsfa::save_bundle(dir.file("m.lsfa"), b);
  lsfa::ModelBundle r = lsfa::load_bundle(dir.file("m.lsfa"));
  EXPECT_EQ(r.extractor.preset, "small");
  EXPECT_EQ(r.extractor.seed, 42u);
  EXPECT_EQ(r.extractor.groups, 64);
  EXPECT_EQ(r.extractor.preprocess.to_string(), b.extractor.preprocess.to_string());
  EXPECT_EQ(r.extractor_identity, b.extractor_identity);
  EXPECT_EQ(r.calibration.image_threshold, 2.5);
  EXPECT_EQ(r.calibration.pixel_threshold, 3.25);
  EXPECT_EQ(r.method, "lsfa");
  ASSERT_TRUE(r.rgb && r.points);
  EXPECT_TRUE(at::equal(r.rgb->bank, b.rgb->bank));
  EXPECT_TRUE(at::equal(r.points->bank, b.points->bank));
  EXPECT_EQ(r.calibration.rgb.pixel.std, 0.2);
  EXPECT_EQ(r.calibration.points.image.mean, 2.5);
  EXPECT_FALSE(r.rgb->adaptor.is_identity());
  EXPECT_TRUE(r.points->adaptor.is_identity());
  at::Tensor x = at::randn({7, 64});
  EXPECT_TRUE(at::allclose(r.rgb->adaptor.forward(x), b.rgb->adaptor.forward(x)));
  EXPECT_NE(lsfa::describe_bundle(r).find("trained"), std::string::npos);
}

TEST(Bundle, BankIndexRoundTripsAndExactBundlesDoNotRecordIt) {
  lsfa::test::TempDir dir;
  lsfa::ModelBundle b = sample_bundle();
  lsfa::save_bundle(dir.file("exact.lsfa"), b);
  // Exact (the default) writes no bank_index key: exact bundles are the bytes they were before.
  auto exact_meta =
      nlohmann::json::parse(lsfa::read_safetensors(dir.file("exact.lsfa")).metadata.at("lsfa"));
  EXPECT_FALSE(exact_meta.contains("bank_index"));
  EXPECT_TRUE(lsfa::load_bundle(dir.file("exact.lsfa")).bank_index.exact());

  b.bank_index.kind = lsfa::BankIndexKind::kHnsw;
  b.bank_index.ef_search = 40;
  lsfa::save_bundle(dir.file("hnsw.lsfa"), b);
  lsfa::ModelBundle r = lsfa::load_bundle(dir.file("hnsw.lsfa"));
  EXPECT_EQ(r.bank_index.kind, lsfa::BankIndexKind::kHnsw);
  EXPECT_EQ(r.bank_index.ef_search, 40);
  EXPECT_EQ(r.bank_index.hnsw_m, 0);  // 0 = the default for the bank's size, resolved on use
  EXPECT_NE(lsfa::describe_bundle(r).find("bank index         hnsw"), std::string::npos);

  b.bank_index = {};
  b.bank_index.kind = lsfa::BankIndexKind::kIvfFlat;
  b.bank_index.nprobe = 3;
  lsfa::save_bundle(dir.file("ivf.lsfa"), b);
  r = lsfa::load_bundle(dir.file("ivf.lsfa"));
  EXPECT_EQ(r.bank_index.kind, lsfa::BankIndexKind::kIvfFlat);
  EXPECT_EQ(r.bank_index.nprobe, 3);
}

TEST(Bundle, Float16BanksAreHalfTheSizeAndClose) {
  lsfa::test::TempDir dir;
  lsfa::ModelBundle b = sample_bundle();
  lsfa::save_bundle(dir.file("f32.lsfa"), b);
  b.bank_fp16 = true;
  lsfa::save_bundle(dir.file("f16.lsfa"), b);
  auto f16 = lsfa::read_safetensors(dir.file("f16.lsfa"));
  EXPECT_EQ(f16.tensors.at("bank.rgb").scalar_type(), at::kHalf);
  lsfa::ModelBundle r = lsfa::load_bundle(dir.file("f16.lsfa"));
  EXPECT_LT((r.rgb->bank - b.rgb->bank).abs().max().item<float>(), 2e-3);
}

TEST(Bundle, CorruptOrForeignFilesGiveClearErrors) {
  lsfa::test::TempDir dir;
  lsfa::ModelBundle b = sample_bundle();
  lsfa::save_bundle(dir.file("m.lsfa"), b);
  std::string bytes = lsfa::read_file(dir.file("m.lsfa"));

  auto expect_error = [&](const std::string &name, const std::string &content,
                          const std::string &needle) {
    lsfa::write_file_atomic(dir.file(name), content);
    try {
      lsfa::load_bundle(dir.file(name));
      ADD_FAILURE() << name << ": expected an error";
    } catch (const lsfa::Error &e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("truncated.lsfa", bytes.substr(0, bytes.size() / 2), "truncated.lsfa");
  expect_error("empty.lsfa", "", "empty.lsfa");
  expect_error("garbage.lsfa", std::string(64, '\x7f'), "garbage.lsfa");

  // A valid safetensors file that is not a bundle.
  lsfa::write_safetensors(dir.file("plain.safetensors"), {{"x", at::zeros({2})}});
  try {
    lsfa::load_bundle(dir.file("plain.safetensors"));
    FAIL();
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("not an lsfa model bundle"), std::string::npos);
  }

  // Tamper with the metadata and tensors of a real bundle.
  auto contents = lsfa::read_safetensors(dir.file("m.lsfa"));
  auto rewrite = [&](const std::string &name, std::map<std::string, at::Tensor> t,
                     std::map<std::string, std::string> m, const std::string &needle) {
    // Without its digests (as a bundle written before they were recorded), so that the field
    // checks below are reached.
    m.erase("lsfa_sha256");
    m.erase("payload_sha256");
    lsfa::write_safetensors(dir.file(name), t, m);
    try {
      lsfa::load_bundle(dir.file(name));
      ADD_FAILURE() << name << ": expected an error";
    } catch (const lsfa::Error &e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  {
    auto t = contents.tensors;
    t.erase("bank.points");
    rewrite("nobank.lsfa", t, contents.metadata, "bank.points");
  }
  {
    auto t = contents.tensors;
    t["bank.rgb"] = at::randn({100, 63});
    rewrite("badshape.lsfa", t, contents.metadata, "memory bank has shape");
  }
  {
    auto t = contents.tensors;
    t["bank.rgb"][0][0] = std::nanf("");
    rewrite("nan.lsfa", t, contents.metadata, "NaN");
  }
  {
    auto m = contents.metadata;
    auto j = m["lsfa"];
    auto pos = j.find("\"format_version\":1");
    ASSERT_NE(pos, std::string::npos);
    j.replace(pos, 18, "\"format_version\":99");
    m["lsfa"] = j;
    rewrite("version.lsfa", contents.tensors, m, "version 99");
  }
  {
    auto m = contents.metadata;
    m["lsfa"] = "{not json";
    rewrite("badjson.lsfa", contents.tensors, m, "not valid JSON");
  }
}

TEST(Bundle, SavingIsAtomic) {
  lsfa::test::TempDir dir;
  lsfa::ModelBundle b = sample_bundle();
  lsfa::save_bundle(dir.file("m.lsfa"), b);
  std::string before = lsfa::read_file(dir.file("m.lsfa"));
  lsfa::ModelBundle bad = b;
  bad.rgb->bank = at::Tensor();  // invalid: the save must fail and leave the old file intact
  EXPECT_THROW(lsfa::save_bundle(dir.file("m.lsfa"), bad), lsfa::Error);
  EXPECT_EQ(lsfa::read_file(dir.file("m.lsfa")), before);
}

TEST(Bundle, EveryBitFlipInTheDataIsFoundAsCorruption) {
  lsfa::test::TempDir dir;
  lsfa::save_bundle(dir.file("m.lsfa"), sample_bundle());
  const std::string bytes = lsfa::read_file(dir.file("m.lsfa"));
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | static_cast<unsigned char>(bytes[i]);
  const size_t data_start = 8 + header;
  ASSERT_LT(data_start, bytes.size());
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    std::string flipped = bytes;
    const size_t at = data_start + rng() % (bytes.size() - data_start);
    flipped[at] = static_cast<char>(flipped[at] ^ (1 << (rng() % 8)));
    lsfa::write_file_atomic(dir.file("flipped.lsfa"), flipped);
    try {
      lsfa::load_bundle(dir.file("flipped.lsfa"));
      ADD_FAILURE() << "a flip at byte " << at << " loaded without complaint";
    } catch (const lsfa::Error &e) {
      EXPECT_NE(std::string(e.what()).find("is corrupted: its tensor data"), std::string::npos)
          << e.what();
    }
  }
  // A flip inside the metadata JSON is refused too (a digest, JSON or field error).
  // (The bundle's JSON sits escaped inside the safetensors header: map_high\":6.0...)
  const size_t meta_at = bytes.find("map_high");
  ASSERT_NE(meta_at, std::string::npos);
  std::string flipped = bytes;
  flipped[meta_at + 11] = static_cast<char>(flipped[meta_at + 11] ^ 1);
  lsfa::write_file_atomic(dir.file("meta.lsfa"), flipped);
  EXPECT_THROW(lsfa::load_bundle(dir.file("meta.lsfa")), lsfa::Error);
  // The intact file still loads.
  EXPECT_NO_THROW(lsfa::load_bundle(dir.file("m.lsfa")));
}

TEST(Bundle, ContradictoryOrMistypedMetadataIsRefused) {
  // Each of these used to load: a header version other than 1, a bank_dtype that contradicts the
  // bank tensor, a negative LayerNorm epsilon, a wrong-typed or false adaptor_identity, and JSON
  // numbers or booleans where another type belongs.
  lsfa::test::TempDir dir;
  lsfa::save_bundle(dir.file("m.lsfa"), sample_bundle());
  const auto contents = lsfa::read_safetensors(dir.file("m.lsfa"));
  const nlohmann::json meta = nlohmann::json::parse(contents.metadata.at("lsfa"));
  int n = 0;
  auto expect_refused = [&](std::map<std::string, at::Tensor> t,
                            std::map<std::string, std::string> m, const std::string &needle) {
    const std::string path = dir.file("bad" + std::to_string(n++) + ".lsfa");
    m.erase("lsfa_sha256");  // no digests: the field checks are reached
    m.erase("payload_sha256");
    lsfa::write_safetensors(path, t, m);
    try {
      lsfa::load_bundle(path);
      ADD_FAILURE() << "expected an error containing: " << needle;
    } catch (const lsfa::Error &e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto with_json = [&](const std::function<void(nlohmann::json &)> &edit,
                       const std::string &needle) {
    nlohmann::json j = meta;
    edit(j);
    auto m = contents.metadata;
    m["lsfa"] = j.dump();
    expect_refused(contents.tensors, m, needle);
  };
  for (const std::string v : {"2", "x", ""}) {
    auto m = contents.metadata;
    m["format_version"] = v;
    expect_refused(contents.tensors, m, "metadata 'format_version' is \"" + v + "\"");
  }
  with_json([](auto &j) { j["format_version"] = "x"; }, "'format_version'");
  with_json([](auto &j) { j["format_version"] = 2; }, "version 2 is not supported");
  with_json([](auto &j) { j["format_version"] = true; }, "expected an integer");
  with_json([](auto &j) { j["format_version"] = 1.7; }, "expected an integer");
  with_json([](auto &j) { j["extractor"]["groups"] = int64_t{1} << 40; }, "out of range");
  with_json([](auto &j) { j["bank_dtype"] = "float16"; }, "but bank_dtype says float16");
  with_json([](auto &j) { j["bank_dtype"] = "int8"; }, "neither float16 nor float32");
  with_json([](auto &j) { j["modalities"]["rgb"]["adaptor"]["ln_eps"] = -1e-6; },
            "must be positive");
  with_json([](auto &j) { j["modalities"]["points"]["adaptor_identity"] = "yes"; },
            "field 'adaptor_identity'");
  with_json([](auto &j) { j["modalities"]["points"]["adaptor_identity"] = 1; },
            "expected true or false");
  with_json([](auto &j) { j["modalities"]["rgb"]["adaptor_identity"] = true; },
            "adaptor_identity is true but the adaptor weights are trained");
  with_json([](auto &j) { j["modalities"]["points"].erase("adaptor_identity"); },
            "missing field 'adaptor_identity'");
  const nlohmann::json index = {{"kind", "hnsw"}, {"nlist", 0},           {"nprobe", 0},
                                {"hnsw_m", 0},    {"ef_construction", 0}, {"ef_search", 0}};
  with_json([&](auto &j) { j["bank_index"] = index, j["bank_index"]["kind"] = "lsh"; },
            "unknown memory bank index 'lsh'");
  with_json([&](auto &j) { j["bank_index"] = index, j["bank_index"]["kind"] = "exact"; },
            "an exact bundle records no bank_index");
  with_json([&](auto &j) { j["bank_index"] = index, j["bank_index"]["ef_search"] = -1; },
            "settings must be in [0, 2^24]");
  with_json([&](auto &j) { j["bank_index"] = index, j["bank_index"].erase("nprobe"); },
            "missing field 'nprobe'");
  {
    // A field nested 200000 arrays deep: copying or dumping the metadata recursed once per level
    // and overflowed the stack.
    std::string text = meta.dump();
    const std::string deep = std::string(200000, '[') + std::string(200000, ']');
    const auto pos = text.find("\"training\":");
    ASSERT_NE(pos, std::string::npos);
    text.insert(pos, "\"deep\":" + deep + ",");
    auto m = contents.metadata;
    m["lsfa"] = text;
    expect_refused(contents.tensors, m, "nested deeper than 64 levels");
  }
  {
    // A float32 bank beside bank_dtype float16 was covered above; the reverse, and an I32 weight.
    auto t = contents.tensors;
    t["bank.rgb"] = t["bank.rgb"].to(at::kHalf);
    expect_refused(t, contents.metadata, "memory bank tensor is Half but bank_dtype says float32");
    t = contents.tensors;
    t["adaptor.rgb.attn.qkv.weight"] = t["adaptor.rgb.attn.qkv.weight"].to(at::kInt);
    expect_refused(t, contents.metadata, "adaptor.rgb.attn.qkv.weight' has dtype Int");
  }
}
