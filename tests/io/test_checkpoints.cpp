// Checkpoint readers: safetensors (both directions against Python), torch.save zip files written
// by the real torch.save, and hostile or broken inputs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "lsfa/io/atomic_file.h"
#include "lsfa/core/error.h"
#include "lsfa/io/safetensors.h"
#include "lsfa/io/state_dict.h"
#include "lsfa/io/torch_pickle.h"
#include "lsfa/io/zip_archive.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace std::string_literals;
using lsfa::PickleValue;
using lsfa::ValuePtr;
using K = PickleValue::Kind;

namespace {

// Same dtype, shape and bytes (bit-exact, also for NaN and -0.0).
::testing::AssertionResult same_bits(const at::Tensor &a, const at::Tensor &b) {
  if (a.scalar_type() != b.scalar_type())
    return ::testing::AssertionFailure()
           << "dtype " << a.scalar_type() << " vs " << b.scalar_type();
  if (a.sizes() != b.sizes())
    return ::testing::AssertionFailure() << "shape " << a.sizes() << " vs " << b.sizes();
  at::Tensor ca = a.contiguous(), cb = b.contiguous();
  const size_t n = static_cast<size_t>(ca.numel()) * ca.element_size();
  if (n && std::memcmp(ca.data_ptr(), cb.data_ptr(), n) != 0)
    return ::testing::AssertionFailure() << "values differ:\n" << a << "\nvs\n" << b;
  return ::testing::AssertionSuccess();
}

template <typename F>
std::string error_of(F &&f) {
  try {
    f();
  } catch (const lsfa::Error &e) {
    return e.what();
  }
  return "<no error>";
}

#define EXPECT_ERROR_HAS(expr, needle)                                    \
  do {                                                                    \
    const std::string msg_ = error_of([&] { (void)(expr); });             \
    EXPECT_NE(msg_.find(needle), std::string::npos) << "error: " << msg_; \
  } while (0)

std::string with_header(const std::string &json, const std::string &data) {
  std::string out(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + json + data;
}

lsfa::SafetensorsContents parse(const std::string &bytes) {
  return lsfa::parse_safetensors(bytes.data(), bytes.size(), "test buffer");
}

// Finds a value by a '/'-separated path of dict keys and list indices.
ValuePtr at_path(const ValuePtr &root, const std::string &path) {
  ValuePtr v = root;
  size_t start = 0;
  while (v && start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (v->kind == K::Dict) {
      ValuePtr next = v->get(part);
      if (!next) {
        for (const auto &[k, val] : v->entries)
          if (k && k->kind == K::Int && std::to_string(k->integer) == part) next = val;
      }
      v = next;
    } else if (v->kind == K::List || v->kind == K::Tuple) {
      size_t i = std::stoul(part);
      v = i < v->items.size() ? v->items[i] : nullptr;
    } else {
      return nullptr;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return v;
}

// Every tensor of `expected` (a safetensors file of path -> tensor) is found bit-exact in `tree`.
void expect_tree_matches(const ValuePtr &tree, const std::string &expected_file) {
  auto expected = lsfa::read_safetensors(expected_file);
  ASSERT_FALSE(expected.tensors.empty());
  for (const auto &[path, want] : expected.tensors) {
    ValuePtr v = at_path(tree, path);
    ASSERT_TRUE(v && v->kind == K::Tensor) << path;
    EXPECT_TRUE(same_bits(v->tensor, want)) << path;
  }
}

class Checkpoints : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new lsfa::test::TempDir();
    marker_ = dir_->file("os_system_was_called");
    std::string out;
    int rc = lsfa::test::run_python(
        "make_checkpoints.py",
        lsfa::test::shell_quote(dir_->path()) + " " + lsfa::test::shell_quote(marker_), &out);
    ASSERT_EQ(rc, 0) << out;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const std::string &name) { return dir_->file(name); }

  static lsfa::test::TempDir *dir_;
  static std::string marker_;
};
lsfa::test::TempDir *Checkpoints::dir_ = nullptr;
std::string Checkpoints::marker_;

std::map<std::string, at::Tensor> cpp_tensors() {
  std::map<std::string, at::Tensor> t;
  t["f32t"] = (at::arange(12, at::kFloat).reshape({3, 4}) * 0.5).t();
  t["f16"] = at::arange(6, at::kFloat).to(at::kHalf) / 4;
  t["bf16"] = at::tensor({1.0f, -2.5f, 0.15625f}).to(at::kBFloat16);
  t["f64"] = at::arange(5, at::kDouble) / 3.0;
  t["i64"] = at::tensor({-(int64_t{1} << 40), int64_t{5}}, at::kLong);
  t["i32"] = at::tensor({-7, 70000}, at::kInt).reshape({2, 1});
  t["i16"] = at::tensor({-300}, at::kShort);
  t["i8"] = at::tensor({-128, 127}, at::kChar);
  t["u8"] = at::tensor({0, 200, 255}, at::kByte);
  t["bool"] = at::tensor({1, 0, 0, 1}, at::kByte).to(at::kBool);
  t["scalar"] = at::scalar_tensor(7.0, at::kFloat);
  t["empty"] = at::zeros({0, 3}, at::kFloat);
  t["z.slice"] = at::arange(20, at::kLong).reshape({4, 5}).slice(1, 1, 3);
  return t;
}

const std::map<std::string, std::string> kCppMetadata = {
    {"format", "lsfa"}, {"unicode", "h\xc3\xa9"}, {"json", "{\"a\": [1]}"}};

}  // namespace

// ---------------------------------------------------------------- safetensors

TEST_F(Checkpoints, SafetensorsWrittenByPythonMatchesTorchSave) {
  auto st = lsfa::read_safetensors(file("python.safetensors"));
  ValuePtr tree = lsfa::read_torch_checkpoint(file("python_st.pth"));
  ASSERT_EQ(st.tensors.size(), 12u);
  for (const auto &[name, t] : st.tensors) {
    ValuePtr v = tree->get(name);
    ASSERT_TRUE(v && v->is_tensor()) << name;
    EXPECT_TRUE(same_bits(t, v->tensor)) << name;
  }
  EXPECT_EQ(st.metadata,
            (std::map<std::string, std::string>{{"format", "pt"}, {"note", "written by hand"}}));
  // Known values, independent of the torch reader.
  EXPECT_TRUE(same_bits(st.tensors.at("ids"), at::tensor({1, -2, 3}, at::kLong)));
  EXPECT_TRUE(same_bits(st.tensors.at("bytes"), at::tensor({1, 2, 250}, at::kByte)));
  EXPECT_TRUE(same_bits(st.tensors.at("mask"),
                        at::tensor({1, 0, 0, 1}, at::kByte).to(at::kBool).reshape({2, 2})));
  EXPECT_TRUE(same_bits(st.tensors.at("scalar"), at::scalar_tensor(1.5, at::kFloat)));
  EXPECT_EQ(st.tensors.at("empty").sizes(), at::IntArrayRef({0}));
  EXPECT_EQ(st.tensors.at("a.bias").scalar_type(), at::kDouble);
  EXPECT_EQ(st.tensors.at("bf").scalar_type(), at::kBFloat16);
}

TEST_F(Checkpoints, SafetensorsWrittenByCppReadByPython) {
  lsfa::test::TempDir dir;
  const std::string path = dir.file("cpp.safetensors");
  lsfa::write_safetensors(path, cpp_tensors(), kCppMetadata);
  std::string out;
  EXPECT_EQ(lsfa::test::run_python("check_safetensors.py", lsfa::test::shell_quote(path), &out), 0)
      << out;
  EXPECT_NE(out.find("OK 13 tensors"), std::string::npos) << out;
}

TEST(Safetensors, RoundTripInMemoryAndFromFile) {
  const auto tensors = cpp_tensors();
  const std::string bytes = lsfa::serialize_safetensors(tensors, kCppMetadata);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);
  EXPECT_EQ(lsfa::serialize_safetensors(tensors, kCppMetadata), bytes);  // deterministic
  EXPECT_TRUE(lsfa::looks_like_safetensors(bytes.data(), bytes.size()));

  auto back = parse(bytes);
  EXPECT_EQ(back.metadata, kCppMetadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (const auto &[name, t] : tensors) {
    EXPECT_TRUE(same_bits(back.tensors.at(name), t)) << name;
    EXPECT_TRUE(back.tensors.at(name).is_contiguous()) << name;
  }
  lsfa::test::TempDir dir;
  lsfa::write_safetensors(dir.file("x.safetensors"), tensors);
  auto from_file = lsfa::read_safetensors(dir.file("x.safetensors"));
  EXPECT_TRUE(from_file.metadata.empty());
  for (const auto &[name, t] : tensors) EXPECT_TRUE(same_bits(from_file.tensors.at(name), t));
  // A state dict straight from safetensors, prefixes stripped.
  lsfa::write_safetensors(dir.file("sd.safetensors"),
                          {{"module.a.weight", at::ones({2})}, {"b", at::zeros({1})}});
  auto sd = lsfa::load_state_dict(dir.file("sd.safetensors"));
  ASSERT_EQ(sd.size(), 2u);
  EXPECT_TRUE(same_bits(sd.at("a.weight"), at::ones({2})));
}

TEST(Safetensors, WriterRejectsWhatItCannotStore) {
  EXPECT_ERROR_HAS(lsfa::serialize_safetensors({{"c", at::zeros({2}, at::kComplexFloat)}}),
                   "unsupported dtype");
  EXPECT_ERROR_HAS(lsfa::serialize_safetensors({{"__metadata__", at::zeros({2})}}), "__metadata__");
  EXPECT_ERROR_HAS(lsfa::serialize_safetensors({{"u", at::Tensor()}}), "undefined");
}

TEST(Safetensors, BrokenAndHostileHeadersAreClearErrors) {
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";
  EXPECT_ERROR_HAS(parse("abc"), "too short");
  EXPECT_ERROR_HAS(parse(std::string("\xff\x00\x00\x00\x00\x00\x00\x00{}", 10)), "beyond the end");
  EXPECT_ERROR_HAS(parse(std::string("\x00\x00\x00\x00\x00\x01\x00\x00{}", 10)),
                   "exceeds the limit");
  EXPECT_ERROR_HAS(parse(with_header("{\"a\":", "")), "not valid JSON");
  EXPECT_ERROR_HAS(parse(with_header("[1]", "")), "not a JSON object");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})",
                                     std::string(1, '\0'))),
                   "unsupported dtype \"F8\"");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                                     std::string(8, '\0'))),
                   "beyond the data");
  EXPECT_ERROR_HAS(parse(with_header("{\"a\":{" + f32x2 + R"(,"data_offsets":[0,8]},"b":{)" +
                                         f32x2 + R"(,"data_offsets":[4,12]}})",
                                     std::string(12, '\0'))),
                   "overlap");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                     std::string(8, '\0'))),
                   "gap");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                                     std::string(8, '\0'))),
                   "belong to no tensor");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                     std::string(8, '\0'))),
                   "needs 12");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],)"
                                     R"("data_offsets":[0,8]}})",
                                     std::string(8, '\0'))),
                   "too large");
  EXPECT_ERROR_HAS(
      parse(with_header(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", "")),
      "is not sizes");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                                     std::string(8, '\0'))),
                   "end before begin");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                                     R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                                     std::string(2, '\0'))),
                   "twice");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                                     std::string("\x01\x02", 2))),
                   "neither 0 nor 1");
  EXPECT_ERROR_HAS(parse(with_header(R"({"__metadata__":{"k":1}})", "")), "__metadata__");
  EXPECT_ERROR_HAS(parse(with_header(R"({"a":{"dtype":"F32","shape":[1]}})", "")),
                   "lacks \"data_offsets\"");
  EXPECT_ERROR_HAS(parse(with_header(std::string(40, '[') + std::string(40, ']'), "")),
                   "nested too deeply");
  EXPECT_ERROR_HAS(lsfa::read_safetensors("/nonexistent/x.safetensors"), "cannot open");
  // An empty file and an empty header are fine when they are well-formed.
  EXPECT_TRUE(parse(with_header("{}", "")).tensors.empty());
}

// ---------------------------------------------------------------- torch.save files

TEST_F(Checkpoints, DinoOrderedDictStateDict) {
  ValuePtr tree = lsfa::read_torch_checkpoint(file("dino.pth"));
  ASSERT_TRUE(tree->is_dict());
  ASSERT_TRUE(tree->state && tree->state->is_dict());  // OrderedDict's _metadata went to BUILD
  EXPECT_TRUE(tree->state->get("_metadata"));
  expect_tree_matches(tree, file("dino.expected.safetensors"));

  lsfa::StateDict sd = lsfa::load_state_dict(file("dino.pth"));
  auto expected = lsfa::read_safetensors(file("dino.expected.safetensors")).tensors;
  ASSERT_EQ(sd.size(), expected.size());
  for (const auto &[k, t] : expected) EXPECT_TRUE(same_bits(sd.at(k), t)) << k;
  EXPECT_EQ(sd.at("pos_embed").sizes(), at::IntArrayRef({1, 5, 16}));
  EXPECT_EQ(sd.at("blocks.1.attn.qkv.weight").sizes(), at::IntArrayRef({48, 16}));

  std::vector<lsfa::ExpectedTensor> want;
  for (const auto &[k, t] : expected) want.push_back({k, t.sizes().vec()});
  EXPECT_NO_THROW(lsfa::check_state_dict(sd, want, "dino.pth"));

  // A checkpoint of another layout: every problem is named, not only the first.
  auto broken = sd;
  broken.erase("norm.weight");
  broken.erase("cls_token");
  broken["pos_embed"] = at::zeros({1, 7, 16});
  broken["head.weight"] = at::zeros({3});
  const std::string msg = error_of([&] { lsfa::check_state_dict(broken, want, "dino.pth"); });
  EXPECT_NE(msg.find("dino.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 missing keys"), std::string::npos) << msg;
  EXPECT_NE(msg.find("norm.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cls_token"), std::string::npos) << msg;
  EXPECT_NE(msg.find("pos_embed (expected [1, 5, 16], found [1, 7, 16])"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("1 unexpected keys:\n    head.weight"), std::string::npos) << msg;
  broken = sd;
  broken["head.weight"] = at::zeros({3});
  EXPECT_NO_THROW(lsfa::check_state_dict(broken, want, "dino.pth", {"head."}));
  want[0].shape = {99};
  want[0].any_shape = true;
  EXPECT_NO_THROW(lsfa::check_state_dict(sd, want, "dino.pth"));
}

TEST_F(Checkpoints, IntegerWeightWhereFloatIsExpectedIsRefused) {
  // A safetensors state dict whose qkv weight says I32 instead of F32 used to load silently
  // (converted to float); the check names the tensor and both dtypes.
  lsfa::StateDict sd = lsfa::load_state_dict(file("dino.pth"));
  std::vector<lsfa::ExpectedTensor> want;
  for (const auto &[k, t] : sd) want.push_back({k, t.sizes().vec()});
  auto bad = sd;
  bad["blocks.1.attn.qkv.weight"] = sd.at("blocks.1.attn.qkv.weight").to(at::kInt);
  lsfa::test::TempDir dir;
  lsfa::write_safetensors(dir.file("int.safetensors"), bad);
  const lsfa::StateDict loaded = lsfa::load_state_dict(dir.file("int.safetensors"));
  const std::string msg =
      error_of([&] { lsfa::check_state_dict(loaded, want, "int.safetensors"); });
  EXPECT_NE(msg.find("1 keys with the wrong dtype:\n    blocks.1.attn.qkv.weight (expected a "
                     "floating-point tensor, found Int)"),
            std::string::npos)
      << msg;
  // Half and double weights are floating point and still accepted (converted on use).
  auto half = sd;
  half["blocks.1.attn.qkv.weight"] = sd.at("blocks.1.attn.qkv.weight").to(at::kHalf);
  EXPECT_NO_THROW(lsfa::check_state_dict(half, want, "half.safetensors"));
}

TEST_F(Checkpoints, PointMaeCheckpointDict) {
  ValuePtr tree = lsfa::read_torch_checkpoint(file("pointmae.pth"));
  expect_tree_matches(tree, file("pointmae.expected.safetensors"));
  ASSERT_TRUE(tree->get("epoch"));
  EXPECT_EQ(tree->get("epoch")->integer, 300);
  ValuePtr best = at_path(tree, "best_metrics/acc");
  ASSERT_TRUE(best && best->kind == K::Float);
  EXPECT_EQ(best->real, 91.5);
  ValuePtr groups = at_path(tree, "optimizer/param_groups/0/lr");
  ASSERT_TRUE(groups && groups->kind == K::Float);
  EXPECT_EQ(groups->real, 1e-3);

  lsfa::StateDict sd = lsfa::load_state_dict(file("pointmae.pth"));
  auto expected = lsfa::read_safetensors(file("pointmae.expected.safetensors")).tensors;
  EXPECT_TRUE(same_bits(sd.at("encoder.first_conv.0.weight"),
                        expected.at("base_model/module.MAE_encoder.encoder.first_conv.0.weight")));
  EXPECT_TRUE(
      same_bits(sd.at("blocks.blocks.1.attn.qkv.weight"),
                expected.at("base_model/module.MAE_encoder.blocks.blocks.1.attn.qkv.weight")));
  EXPECT_EQ(sd.count("blocks.blocks.0.attn.qkv.bias"), 0u);  // Point-MAE has no qkv bias
  const at::Tensor nbt = sd.at("encoder.second_conv.1.num_batches_tracked");
  EXPECT_EQ(nbt.scalar_type(), at::kLong);
  EXPECT_EQ(nbt.dim(), 0);
  EXPECT_EQ(nbt.item<int64_t>(), 1234);
  EXPECT_TRUE(sd.count("MAE_decoder.blocks.0.norm1.weight"));  // only the wrapper prefix went
  EXPECT_TRUE(sd.count("mask_token"));

  std::vector<lsfa::ExpectedTensor> want;
  for (const auto &[k, t] : sd)
    if (k.rfind("MAE_decoder.", 0) != 0 && k != "mask_token")
      want.push_back({k, t.sizes().vec(), false, t.is_floating_point()});
  EXPECT_NO_THROW(lsfa::check_state_dict(sd, want, "pretrain.pth", {"MAE_decoder.", "mask_token"}));
  EXPECT_ERROR_HAS(lsfa::check_state_dict(sd, want, "pretrain.pth", {"MAE_decoder."}),
                   "1 unexpected keys:\n    mask_token");
}

TEST_F(Checkpoints, AllDtypesAndScalars) {
  ValuePtr tree = lsfa::read_torch_checkpoint(file("dtypes.pth"));
  expect_tree_matches(tree, file("dtypes.expected.safetensors"));
  EXPECT_EQ(tree->get("bf16")->tensor.scalar_type(), at::kBFloat16);
  EXPECT_EQ(tree->get("bool")->tensor.scalar_type(), at::kBool);
  EXPECT_EQ(tree->get("i64")->tensor[0].item<int64_t>(), -(int64_t{1} << 62));
  EXPECT_EQ(tree->get("scalar")->tensor.dim(), 0);
  EXPECT_EQ(tree->get("scalar")->tensor.item<float>(), 3.25f);
  EXPECT_EQ(tree->get("empty")->tensor.sizes(), at::IntArrayRef({0, 4}));
}

TEST_F(Checkpoints, ViewsKeepStridesOffsetsAndSharedStorage) {
  ValuePtr tree = lsfa::read_torch_checkpoint(file("views.pth"));
  expect_tree_matches(tree, file("views.expected.safetensors"));
  const at::Tensor base = tree->get("base")->tensor;
  const at::Tensor tr = tree->get("transposed")->tensor;
  const at::Tensor slice = tree->get("slice")->tensor;
  EXPECT_EQ(tr.strides(), at::IntArrayRef({1, 6}));
  EXPECT_EQ(tr.data_ptr(), base.data_ptr());
  EXPECT_EQ(slice.storage_offset(), 8);
  EXPECT_EQ(static_cast<float *>(slice.data_ptr()), static_cast<float *>(base.data_ptr()) + 8);
  EXPECT_EQ(tree->get("expanded")->tensor.strides(), at::IntArrayRef({0, 1}));
  const at::Tensor a = tree->get("shared_a")->tensor, b = tree->get("shared_b")->tensor;
  EXPECT_EQ(static_cast<int64_t *>(b.data_ptr()), static_cast<int64_t *>(a.data_ptr()) + 4);
  EXPECT_EQ(b[0].item<int64_t>(), 4);
}

TEST_F(Checkpoints, NestedPlainDataAndOpaqueObjects) {
  ValuePtr tree = lsfa::read_torch_checkpoint(file("nested.pth"));
  expect_tree_matches(tree, file("nested.expected.safetensors"));
  ValuePtr list = tree->get("list");
  ASSERT_TRUE(list && list->kind == K::List);
  ASSERT_EQ(list->items.size(), 9u);
  EXPECT_EQ(list->items[0]->integer, 1);
  EXPECT_EQ(list->items[1]->integer, -2);
  EXPECT_EQ(list->items[2]->real, 2.5);
  EXPECT_EQ(list->items[3]->text, "text");
  EXPECT_EQ(list->items[4]->kind, K::None);
  EXPECT_TRUE(list->items[5]->boolean);
  EXPECT_EQ(list->items[6]->kind, K::Bool);
  EXPECT_FALSE(list->items[6]->boolean);
  EXPECT_EQ(list->items[7]->kind, K::Tuple);
  EXPECT_EQ(list->items[7]->items[1]->text, "tuple");
  EXPECT_EQ(tree->get("neg_big")->integer, -(int64_t{1} << 40));
  EXPECT_EQ(tree->get("big")->kind, K::Opaque);  // 2**70 does not fit in int64
  EXPECT_EQ(tree->get("big")->text, "builtins.int");
  EXPECT_EQ(tree->get("bytes")->kind, K::Bytes);
  EXPECT_EQ(tree->get("bytes")->text, std::string("\x00\xff"
                                                  "abc",
                                                  5));
  EXPECT_EQ(tree->get("unicode")->text, "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c");
  ValuePtr args = tree->get("args");
  ASSERT_EQ(args->kind, K::Opaque);
  EXPECT_EQ(args->text, "argparse.Namespace");
  ASSERT_TRUE(args->state && args->state->is_dict());
  EXPECT_EQ(args->state->get("lr")->real, 0.1);
  EXPECT_EQ(args->state->get("name")->text, "run");
  EXPECT_EQ(at_path(tree, "int_keys/2")->text, "two");
  EXPECT_TRUE(tree->get("empty_dict")->entries.empty());
  // Bare storages: an untyped one is bytes, a typed one keeps its dtype.
  ValuePtr untyped = tree->get("untyped_storage");
  ASSERT_EQ(untyped->kind, K::Storage);
  const at::Tensor floats = at::arange(4, at::kFloat);
  EXPECT_TRUE(
      same_bits(untyped->tensor, at::from_blob(floats.data_ptr(), {16}, at::kByte).clone()));
  ValuePtr typed = tree->get("long_storage");
  ASSERT_EQ(typed->kind, K::Storage);
  EXPECT_TRUE(same_bits(typed->tensor, at::arange(3, at::kLong)));
  const std::string d = lsfa::describe(tree);
  EXPECT_NE(d.find("<opaque argparse.Namespace>"), std::string::npos) << d;
  EXPECT_NE(d.find("'text'"), std::string::npos) << d;
  EXPECT_NE(d.find("<opaque collections.defaultdict>(<global builtins.list>) items={'a': [1]}"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("tensor(Float, [2])"), std::string::npos) << d;
  EXPECT_LE(lsfa::describe(tree, 50).size(), 50u + 40u);
  EXPECT_ERROR_HAS(lsfa::load_state_dict(file("nested.pth")), "no state dict found");
}

TEST_F(Checkpoints, ReduceOfOsSystemIsRecordedNeverCalled) {
  ASSERT_FALSE(fs::exists(marker_));
  ValuePtr tree = lsfa::load_checkpoint_tree(file("evil.pth"));
  EXPECT_FALSE(fs::exists(marker_));
  ValuePtr evil = tree->get("evil");
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->kind, K::Opaque);
  EXPECT_EQ(evil->text, "posix.system");
  ASSERT_EQ(evil->items.size(), 1u);
  EXPECT_EQ(evil->items[0]->text, "touch " + marker_);
  EXPECT_TRUE(same_bits(tree->get("weight")->tensor, at::ones({2, 2})));
  EXPECT_ERROR_HAS(lsfa::load_state_dict(file("evil.pth")),
                   "\"evil\" holds a value of type opaque");
  EXPECT_FALSE(fs::exists(marker_));
}

TEST_F(Checkpoints, LoadCheckpointTreeOfSafetensorsKeepsMetadata) {
  ValuePtr tree = lsfa::load_checkpoint_tree(file("python.safetensors"));
  ASSERT_TRUE(tree->is_dict());
  EXPECT_EQ(tree->entries.size(), 12u);
  ASSERT_TRUE(tree->state);
  EXPECT_EQ(tree->state->get("note")->text, "written by hand");
}

TEST_F(Checkpoints, BrokenFilesAreClearErrors) {
  lsfa::test::TempDir dir;
  const std::string good = lsfa::read_file(file("dino.pth"));
  for (size_t len : {size_t{0}, size_t{3}, size_t{100}, good.size() / 2, good.size() - 1}) {
    const std::string path = dir.file("trunc.pth");
    lsfa::write_file_atomic(path, good.substr(0, len));
    const std::string msg = error_of([&] { lsfa::load_state_dict(path); });
    EXPECT_NE(msg.find(path), std::string::npos) << len << ": " << msg;
  }
  lsfa::write_file_atomic(dir.file("magic.bin"), "GIF89a not a checkpoint at all");
  EXPECT_ERROR_HAS(lsfa::load_state_dict(dir.file("magic.bin")), "not a checkpoint");
  lsfa::write_file_atomic(dir.file("legacy.pth"), std::string("\x80\x02\x8a\x0alegacy", 10));
  EXPECT_ERROR_HAS(lsfa::load_state_dict(dir.file("legacy.pth")), "legacy");
  EXPECT_ERROR_HAS(lsfa::load_state_dict(dir.file("missing.pth")), "cannot open");
  // A zip archive that is not a torch checkpoint.
  lsfa::write_file_atomic(dir.file("empty.zip"),
                          std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  EXPECT_ERROR_HAS(lsfa::load_state_dict(dir.file("empty.zip")), "data.pkl");
}

TEST_F(Checkpoints, ImpossibleStoragesAndViewsInAZipAreRefused) {
  ValuePtr ok = lsfa::read_torch_checkpoint(file("crafted_ok.pth"));
  EXPECT_TRUE(same_bits(ok->get("w")->tensor, at::tensor({2.f, 4.f})));
  EXPECT_ERROR_HAS(lsfa::read_torch_checkpoint(file("huge_numel.pth")),
                   "should hold 1099511627776 Float elements");
  EXPECT_ERROR_HAS(lsfa::read_torch_checkpoint(file("offset_beyond.pth")),
                   "storage offset 9 is outside the storage of 4 elements");
  EXPECT_ERROR_HAS(lsfa::read_torch_checkpoint(file("view_beyond.pth")), "reaches element 5");
  EXPECT_ERROR_HAS(lsfa::read_torch_checkpoint(file("missing_entry.pth")),
                   "storage entry archive/data/7 is missing");
  EXPECT_ERROR_HAS(lsfa::read_torch_checkpoint(file("path_key.pth")),
                   "storage key is not a short alphanumeric name");
  EXPECT_ERROR_HAS(lsfa::read_torch_checkpoint(file("negative_stride.pth")),
                   "negative size or stride");
}

// ---------------------------------------------------------------- hand-made hostile pickles

namespace {

// Resolves every persistent id to one storage of 10 floats 0..9.
ValuePtr ten_floats(const ValuePtr &) {
  ValuePtr s = PickleValue::make(K::Storage);
  s->tensor = at::arange(10, at::kFloat);
  return s;
}

ValuePtr unpickle(const std::string &bytes, const lsfa::UnpickleLimits &limits = {}) {
  return lsfa::unpickle(bytes, ten_floats, "test pickle", limits);
}

// _rebuild_tensor_v2(storage, offset, (size,), (stride,), False, OrderedDict()) as a pickle.
std::string rebuild_pickle(int offset, int size, int stride) {
  std::string p =
      "\x80\x02"
      "ctorch._utils\n_rebuild_tensor_v2\n(NQ";
  p += 'K';
  p += static_cast<char>(offset);
  p += 'K';
  p += static_cast<char>(size);
  p += "\x85K";
  p += static_cast<char>(stride);
  p += "\x85\x89"
       "ccollections\nOrderedDict\n)Rt"
       "R.";
  return p;
}

}  // namespace

TEST(Unpickler, TensorRebuildIsBoundsChecked) {
  ValuePtr ok = unpickle(rebuild_pickle(2, 4, 2));
  ASSERT_EQ(ok->kind, K::Tensor);
  EXPECT_TRUE(same_bits(ok->tensor, at::tensor({2.f, 4.f, 6.f, 8.f})));
  EXPECT_ERROR_HAS(unpickle(rebuild_pickle(20, 1, 1)), "outside the storage");
  EXPECT_ERROR_HAS(unpickle(rebuild_pickle(0, 8, 2)), "reaches element 14");
  EXPECT_ERROR_HAS(unpickle(rebuild_pickle(9, 2, 1)), "reaches element 10");
}

TEST(Unpickler, MalformedStreamsAreClearErrors) {
  EXPECT_ERROR_HAS(unpickle("\x80\x02h\x05."), "memo index 5 was never stored");
  EXPECT_ERROR_HAS(unpickle("\x80\x02]q\x00"s), "without a STOP");
  EXPECT_ERROR_HAS(unpickle("\x80\x02X\xff\x00\x00\x00"
                            "ab."s),
                   "truncated");
  EXPECT_ERROR_HAS(unpickle(std::string("\x80\x02\x8d\x00\x00\x00\x00\x00\x00\x00\x40.", 12)),
                   "truncated");
  EXPECT_ERROR_HAS(unpickle("\x80\x02"
                            "a."),
                   "stack underflow");
  EXPECT_ERROR_HAS(unpickle("\x80\x06N."), "protocol 6");
  EXPECT_ERROR_HAS(unpickle("\x80\x02\xff."), "unsupported or invalid pickle opcode");
  EXPECT_ERROR_HAS(unpickle("\x80\x02K\x00K\x01K\x02s."s), "cannot set items of a int");
  EXPECT_ERROR_HAS(unpickle("\x80\x02}K\x01u."), "no MARK");
  EXPECT_ERROR_HAS(unpickle(std::string("\x80\x02J\x00\x00\x00\x00\x82.", 9)),
                   "opcode 0x82 at byte 7");
  lsfa::UnpickleLimits small;
  small.max_marks = 10;
  EXPECT_ERROR_HAS(unpickle("\x80\x02" + std::string(20, '(') + "N.", small), "open MARKs");
  small.max_stack = 100;
  EXPECT_ERROR_HAS(unpickle("\x80\x02" + std::string(200, 'N') + ".", small), "stack exceeds");
}

TEST(Unpickler, DeepNestingAndCyclesAreSafe) {
  // 100000 nested lists built with memo references: the C++ stack must not follow the depth.
  std::string deep = "\x80\x02";
  for (int i = 0; i < 100000; ++i) deep += "]";
  for (int i = 0; i < 99999; ++i) deep += "a";
  deep += ".";
  EXPECT_ERROR_HAS(unpickle(deep), "nested deeper than 512");
  // A list that contains itself: the back reference becomes None.
  ValuePtr cyc = unpickle(
      "\x80\x02]q\x00h\x00K\x07\x86q\x01"
      "a."s);
  ASSERT_EQ(cyc->kind, K::List);
  ASSERT_EQ(cyc->items.size(), 1u);
  EXPECT_EQ(cyc->items[0]->items[0]->kind, K::None);
  EXPECT_EQ(cyc->items[0]->items[1]->integer, 7);
  // A DAG whose paths double at each level renders in bounded time and size.
  std::string dag = "\x80\x02N";
  for (int i = 0; i < 60; ++i) dag += "2\x86";
  dag += ".";
  EXPECT_LE(lsfa::describe(unpickle(dag), 1000).size(), 1100u);
}

TEST(Unpickler, DeepTuplesDictsAndObjectsFailCleanly) {
  // Every container kind nested 300000 deep: a clear error, never a recursive destructor that
  // overflows the stack (tuples used to crash the process; lists and dicts did not).
  const int n = 300000;
  std::string tuples = "\x80\x02)";
  for (int i = 0; i < n; ++i) tuples += "\x85";
  EXPECT_ERROR_HAS(unpickle(tuples + "."), "nested deeper than 512");
  EXPECT_ERROR_HAS(unpickle(tuples), "without a STOP");  // left on the stack, freed on the error
  // Each level wraps the previous value, kept in memo 0: BINPUT 0, POP, then the level's opcodes.
  auto nest = [&](const std::string &level) {
    std::string p = "\x80\x02N";
    for (int i = 0; i < n; ++i) p += "q\x00"s + "0" + level;
    return p + ".";
  };
  const std::string get0 = "h\x00"s;
  for (const std::string &level : {"(" + get0 + "t",                     // tuple
                                   "(" + get0 + "l",                     // list
                                   "(K\x00"s + get0 + "d",               // dict
                                   "cmod\nCls\n)\x81"s + get0 + "b"}) {  // object state
    EXPECT_ERROR_HAS(unpickle(nest(level)), "nested deeper than 512");
  }
}

TEST(PickleValue, DeepTreesAreFreedWithoutRecursion) {
  ValuePtr v = PickleValue::none();
  for (int i = 0; i < 1000000; ++i) {
    ValuePtr t = PickleValue::make(K::Tuple);
    t->items.push_back(std::move(v));
    v = std::move(t);
  }
  ValuePtr shared = v->items[0]->items[0];  // a subtree with another owner stays whole
  v.reset();
  int depth = 0;
  for (ValuePtr p = shared; p && !p->items.empty(); p = p->items[0]) ++depth;
  EXPECT_EQ(depth, 1000000 - 2);
}

TEST(Unpickler, ForeignCallsBecomeOpaque) {
  ValuePtr v = unpickle(
      "\x80\x02"
      "cos\nsystem\nX\x05\x00\x00\x00touchq\x00\x85R."s);
  EXPECT_EQ(v->kind, K::Opaque);
  EXPECT_EQ(v->text, "os.system");
  EXPECT_EQ(v->items.at(0)->text, "touch");
  ValuePtr b = unpickle(
      "\x80\x02"
      "c_codecs\nencode\nX\x03\x00\x00\x00\xc3\xbf"
      "aX\x06\x00\x00\x00latin1\x86R."s);
  EXPECT_EQ(b->kind, K::Bytes);
  EXPECT_EQ(b->text,
            "\xff"
            "a");
}

// ---------------------------------------------------------------- fuzzing

TEST_F(Checkpoints, FuzzedFilesThrowOrLoadNeverCrash) {
  std::mt19937 rng(1234);
  int errors = 0, loads = 0;
  auto mutate = [&](std::string bytes) {
    if (rng() % 4 == 0) return bytes.substr(0, rng() % bytes.size());
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    return bytes;
  };
  auto attempt = [&](auto &&f) {
    try {
      f();
      ++loads;
    } catch (const lsfa::Error &) {
      ++errors;
    }
  };
  const std::string pth = lsfa::read_file(file("views.pth"));
  const std::string st = lsfa::read_file(file("python.safetensors"));
  const lsfa::ZipArchive zip = lsfa::ZipArchive::open_file(file("nested.pth"));
  std::string pkl;
  for (const auto &name : zip.entry_names())
    if (name.size() > 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0) pkl = zip.read(name);
  ASSERT_FALSE(pkl.empty());
  const std::string views_pkl = [&] {
    auto z = lsfa::ZipArchive::open_file(file("views.pth"));
    for (const auto &name : z.entry_names())
      if (name.size() > 9 && name.compare(name.size() - 9, 9, "/data.pkl") == 0)
        return z.read(name);
    return std::string();
  }();
  // LSFA_FUZZ_ITERATIONS raises the count for longer runs (e.g. under AddressSanitizer).
  const char *env = std::getenv("LSFA_FUZZ_ITERATIONS");
  const int iterations = env ? std::max(300, std::atoi(env)) : 300;
  for (int i = 0; i < iterations; ++i) {
    const std::string a = mutate(pth);
    attempt([&] { lsfa::parse_torch_checkpoint(a.data(), a.size(), "fuzz.pth"); });
    const std::string b = mutate(st);
    attempt([&] { parse(b); });
    const std::string c = mutate(i % 2 ? pkl : views_pkl);
    attempt([&] { lsfa::describe(unpickle(c)); });
  }
  EXPECT_EQ(errors + loads, 3 * iterations);
  EXPECT_GT(errors, iterations);  // most mutations must be noticed (zip CRCs, header checks)
}
