// Frozen backbones: parity with Python reference forwards (tests/python/backbone_reference.py,
// after the published DINO and Point-MAE definitions), exact FPS / kNN indices against brute force,
// deterministic random initialisation, checkpoint checks and presets.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "lsfa/backbones/point_groups.h"
#include "lsfa/backbones/point_mae.h"
#include "lsfa/backbones/presets.h"
#include "lsfa/backbones/vit.h"
#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/io/state_dict.h"
#include "test_util.h"

namespace {

using lsfa::StateDict;

// Fixtures written once per run by backbone_fixtures.py (one Python start-up for all of them).
class Fixtures : public ::testing::Environment {
 public:
  void SetUp() override {
    lsfa::set_threads(2);
    dir_ = std::make_unique<lsfa::test::TempDir>();
    std::string output;
    int rc = lsfa::test::run_python("backbone_fixtures.py", "all " + dir_->path(), &output);
    ASSERT_EQ(rc, 0) << output;
  }
  void TearDown() override { dir_.reset(); }
  static std::string path(const std::string &fixture, const std::string &file) {
    return dir_->path() + "/" + fixture + "/" + file;
  }

 private:
  static std::unique_ptr<lsfa::test::TempDir> dir_;
};
std::unique_ptr<lsfa::test::TempDir> Fixtures::dir_;

// Weights in the official layouts (torch.save files; vit_small_st as safetensors).
std::string weights_file(const std::string &fixture) {
  return Fixtures::path(fixture, fixture == "vit_small_st" ? "weights.safetensors" : "weights.pth");
}
StateDict weights(const std::string &fixture) {
  return lsfa::load_state_dict(weights_file(fixture));
}
StateDict io(const std::string &fixture) {
  return lsfa::load_state_dict(Fixtures::path(fixture, "io.safetensors"));
}

double max_abs_diff(const at::Tensor &a, const at::Tensor &b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return 1e30;
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// The message of the lsfa::Error that f throws ("" when it throws none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const lsfa::Error &e) {
    return e.what();
  }
  return "";
}

// ------------------------------------------------------------------ ViT

lsfa::VisionTransformer load_vit(const std::string &fixture) {
  auto sd = weights(fixture);
  auto cfg = lsfa::vit_config_from_state_dict(sd, fixture);
  return lsfa::VisionTransformer::from_state_dict(sd, cfg, fixture);
}

void expect_vit_parity(const std::string &fixture) {
  auto vit = load_vit(fixture);
  auto data = io(fixture);
  auto out = vit.forward(data.at("input"));
  const double diff = max_abs_diff(out, data.at("output"));
  std::printf("%s: max abs diff %.3g\n", fixture.c_str(), diff);
  EXPECT_LE(diff, 1e-4) << fixture;
  // The output is not trivially small: the comparison means something.
  EXPECT_GT(data.at("output").abs().mean().item<double>(), 0.1);
}

TEST(VitParity, ReadsSizesFromShapes) {
  auto cfg = lsfa::vit_config_from_state_dict(weights("vit_small"), "vit_small");
  EXPECT_EQ(cfg.patch, 8);
  EXPECT_EQ(cfg.in_channels, 3);
  EXPECT_EQ(cfg.dim, 192);
  EXPECT_EQ(cfg.depth, 2);
  EXPECT_EQ(cfg.heads, 3);
  EXPECT_EQ(cfg.mlp_hidden, 768);
  EXPECT_EQ(cfg.pos_grid, 8);
}

TEST(VitParity, SmallSquareImage) {
  expect_vit_parity("vit_small");
}
TEST(VitParity, BatchOfTwo) {
  expect_vit_parity("vit_batch2");
}
TEST(VitParity, PositionEmbeddingInterpolatedDown) {
  expect_vit_parity("vit_interp");
}
TEST(VitParity, PositionEmbeddingInterpolatedUp) {
  expect_vit_parity("vit_interp_up");
}

TEST(VitParity, VitB8SizesAt224) {
  auto vit = load_vit("vit_b8_depth2");
  EXPECT_EQ(vit.config().dim, 768);
  EXPECT_EQ(vit.config().heads, 12);
  auto data = io("vit_b8_depth2");
  auto out = vit.forward(data.at("input"));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 768, 28, 28}));
  const double diff = max_abs_diff(out, data.at("output"));
  std::printf("vit_b8_depth2: max abs diff %.3g\n", diff);
  EXPECT_LE(diff, 1e-4);
}

TEST(Vit, StateDictRoundTripGivesTheSameOutput) {
  auto cfg = lsfa::backbone_preset("small").vit;
  cfg.depth = 2;
  auto a = lsfa::VisionTransformer::random(cfg, 3);
  auto b = lsfa::VisionTransformer::from_state_dict(a.state_dict(), cfg, "round trip");
  auto image = at::randn({1, 3, 32, 40});
  EXPECT_TRUE(at::equal(a.forward(image), b.forward(image)));
}

TEST(Vit, OutputDoesNotRecordGradients) {
  auto cfg = lsfa::backbone_preset("small").vit;
  cfg.depth = 1;
  auto vit = lsfa::VisionTransformer::random(cfg, 1);
  auto image = at::randn({1, 3, 16, 16}).requires_grad_(true);
  auto out = vit.forward(image);
  EXPECT_FALSE(out.requires_grad());
  EXPECT_FALSE(out.is_inference());  // usable as input of a trained adaptor
}

// ------------------------------------------------------------------ point groups

void expect_groups_match(const std::string &fixture) {
  auto data = io(fixture);
  const auto &points = data.at("points");
  const auto &fps = data.at("fps");
  const auto &knn = data.at("knn");
  auto got_fps = lsfa::farthest_point_sample(points, fps.size(0));
  EXPECT_TRUE(at::equal(got_fps, fps)) << fixture << "\nC++ " << got_fps << "\nref " << fps;
  auto got_knn = lsfa::knn_indices(points, points.index_select(0, fps), knn.size(1));
  EXPECT_TRUE(at::equal(got_knn, knn)) << fixture;
}

TEST(PointGroups, FpsAndKnnMatchBruteForceOnRandomPoints) {
  expect_groups_match("groups_random");
}
TEST(PointGroups, TiesGoToTheLowerIndex) {
  expect_groups_match("groups_grid");
}
TEST(PointGroups, PointsNearTheOriginAreNeverPicked) {
  expect_groups_match("groups_near_origin");
  auto data = io("groups_near_origin");
  auto picks = data.at("fps");
  auto points = data.at("points");
  auto mag = points.pow(2).sum(1);
  for (int64_t i = 1; i < picks.size(0); ++i)
    EXPECT_GT(mag[picks[i].item<int64_t>()].item<float>(), 1e-3f);
  EXPECT_EQ(picks[0].item<int64_t>(), 0);  // the start, even though it is near the origin
}
TEST(PointGroups, FewerCandidatesThanCentresRepeatPicks) {
  expect_groups_match("groups_few");
}

TEST(PointGroups, KnnWithAllPointsIsASortedPermutation) {
  auto points = at::randn({50, 3});
  auto idx = lsfa::knn_indices(points, points.slice(0, 7, 8), 50);
  EXPECT_TRUE(at::equal(std::get<0>(idx[0].sort()), at::arange(50, at::kLong)));
  EXPECT_EQ(idx[0][0].item<int64_t>(), 7);
  auto d = (points.index_select(0, idx[0]) - points[7]).pow(2).sum(1);
  EXPECT_TRUE(at::all(d.slice(0, 1) >= d.slice(0, 0, -1)).item<bool>());
}

TEST(PointGroups, ValidPointsSkipZerosAndNonFinite) {
  auto cloud = at::zeros({2, 3, 3});
  cloud[0][1] = at::tensor({0.f, 0.f, 1.f});
  cloud[1][0] = at::tensor({std::nanf(""), 1.f, 1.f});
  cloud[1][2] = at::tensor({1.f, 2.f, 3.f});
  at::Tensor pix;
  auto pts = lsfa::valid_points(cloud, &pix);
  EXPECT_TRUE(at::equal(pix, at::tensor({1, 5}, at::kLong)));
  EXPECT_TRUE(at::equal(pts, at::tensor({0.f, 0.f, 1.f, 1.f, 2.f, 3.f}).view({2, 3})));
}

TEST(PointGroups, NonFinitePointsAreAnError) {
  auto points = at::randn({20, 3});
  points[4][1] = std::nanf("");
  EXPECT_NE(error_of([&] { lsfa::farthest_point_sample(points, 5); }).find("finite"),
            std::string::npos);
  EXPECT_NE(error_of([&] { lsfa::knn_indices(points, points.slice(0, 0, 2), 3); }), "");
  EXPECT_NE(error_of([&] { lsfa::knn_indices(at::randn({20, 2}), at::randn({2, 2}), 3); }), "");
}

TEST(PointGroups, TooFewValidPointsIsAnError) {
  auto cloud = at::zeros({8, 8, 3});
  cloud.slice(0, 0, 1).fill_(0.5);  // 8 valid points
  auto msg = error_of([&] { lsfa::group_points(cloud, 4, 16); });
  EXPECT_NE(msg.find("8 valid points"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { lsfa::group_points(at::zeros({8, 8, 3}), 4, 1); }), "");
}

// ------------------------------------------------------------------ Point-MAE

lsfa::PointMae load_point_mae(const std::string &fixture, int64_t groups, int64_t group_size,
                              std::vector<int64_t> fetch, bool batch_stats) {
  auto sd = weights(fixture);
  lsfa::PointMaeConfig base;
  base.groups = groups;
  base.group_size = group_size;
  base.fetch_layers = fetch;
  base.batch_statistics = batch_stats;
  base.chunk_groups = 24;  // several chunks, one partial
  auto cfg = lsfa::point_mae_config_from_state_dict(sd, fixture, base);
  return lsfa::PointMae::from_state_dict(sd, cfg, fixture);
}

void expect_point_mae_parity(const lsfa::PointMae &model, const std::string &fixture) {
  auto data = io(fixture);
  auto out = model.forward(data.at("organized"));
  EXPECT_TRUE(at::equal(out.groups.pixel_indices, data.at("pixel_indices")));
  EXPECT_TRUE(at::equal(out.groups.center_indices, data.at("center_indices")));
  EXPECT_TRUE(at::equal(out.groups.neighbor_indices, data.at("neighbor_indices")));
  EXPECT_LE(max_abs_diff(out.centers, data.at("centers")), 0.0);
  const double diff = max_abs_diff(out.features, data.at("features"));
  std::printf("%s: max abs diff %.3g\n", fixture.c_str(), diff);
  EXPECT_LE(diff, 1e-4) << fixture;
  EXPECT_GT(data.at("features").abs().mean().item<double>(), 0.1);
}

TEST(PointMaeParity, ReadsSizesFromShapes) {
  auto cfg = lsfa::point_mae_config_from_state_dict(weights("pmae_paper_widths"), "x");
  EXPECT_EQ(cfg.dim, 384);
  EXPECT_EQ(cfg.heads, 6);
  EXPECT_EQ(cfg.depth, 4);
  EXPECT_EQ(cfg.mlp_hidden, 1536);
  EXPECT_EQ(cfg.conv1, 128);
  EXPECT_EQ(cfg.conv2, 256);
  EXPECT_EQ(cfg.conv3, 512);
  EXPECT_EQ(cfg.pos_hidden, 128);
}

TEST(PointMaeParity, RunningStatistics) {
  expect_point_mae_parity(load_point_mae("pmae_eval", 64, 16, {1, 2, 3}, false), "pmae_eval");
}

TEST(PointMaeParity, BatchStatistics) {
  auto model = load_point_mae("pmae_batch", 64, 16, {1, 2, 3}, true);
  expect_point_mae_parity(model, "pmae_batch");
  // The same weights with running statistics give something else: the option matters.
  model.set_batch_statistics(false);
  auto data = io("pmae_batch");
  EXPECT_GT(max_abs_diff(model.forward(data.at("organized")).features, data.at("features")), 1e-2);
}

TEST(PointMaeParity, PaperWidths) {
  auto model = load_point_mae("pmae_paper_widths", 128, 32, {1, 2, 3}, false);
  EXPECT_EQ(model.config().heads, 6);
  expect_point_mae_parity(model, "pmae_paper_widths");
}

TEST(PointMaeParity, SmallPresetFromCheckpointFiles) {
  lsfa::BackboneOptions o;
  o.vit_checkpoint = weights_file("vit_small_preset");
  o.point_mae_checkpoint = weights_file("pmae_small_preset");
  auto b = lsfa::build_backbones("small", o);
  EXPECT_NE(b.rgb.description().find(o.vit_checkpoint), std::string::npos);
  EXPECT_NE(b.points.description().find(o.point_mae_checkpoint), std::string::npos);
  auto vit_io = io("vit_small_preset");
  EXPECT_LE(max_abs_diff(b.rgb.forward(vit_io.at("input")), vit_io.at("output")), 1e-4);
  expect_point_mae_parity(b.points, "pmae_small_preset");
}

TEST(PointMae, StateDictRoundTripGivesTheSameOutput) {
  auto cfg = lsfa::backbone_preset("small").point_mae;
  cfg.groups = 32;
  cfg.group_size = 8;
  auto a = lsfa::PointMae::random(cfg, 4);
  auto b = lsfa::PointMae::from_state_dict(a.state_dict(), cfg, "round trip");
  auto groups = at::randn({32, 8, 3}) * 0.01;
  auto centers = at::randn({32, 3});
  EXPECT_TRUE(at::equal(a.encode_groups(groups, centers), b.encode_groups(groups, centers)));
  EXPECT_EQ(a.encode_groups(groups, centers).sizes(), (std::vector<int64_t>{32, 3 * 192}));
}

TEST(PointMae, EncoderIsTokensThenTransformer) {
  auto cfg = lsfa::backbone_preset("small").point_mae;
  cfg.groups = 32;
  cfg.group_size = 8;
  auto m = lsfa::PointMae::random(cfg, 5);
  auto groups = at::randn({32, 8, 3}) * 0.01;
  auto centers = at::randn({32, 3});
  at::Tensor tokens = m.group_tokens(groups);
  EXPECT_TRUE(at::equal(m.encode_tokens(tokens, centers), m.encode_groups(groups, centers)));
  EXPECT_THROW(m.encode_tokens(tokens.narrow(1, 0, 5), centers), lsfa::Error);
  EXPECT_THROW(m.encode_tokens(tokens, centers.narrow(0, 0, 31)), lsfa::Error);
}

// ------------------------------------------------------------------ random initialisation

bool same_state(const StateDict &a, const StateDict &b) {
  if (a.size() != b.size()) return false;
  for (const auto &kv : a) {
    auto it = b.find(kv.first);
    if (it == b.end() || !at::equal(kv.second, it->second)) return false;
  }
  return true;
}

TEST(RandomInit, SameSeedSameWeightsOtherSeedOtherWeights) {
  const auto &p = lsfa::backbone_preset("small");
  EXPECT_TRUE(same_state(lsfa::VisionTransformer::random(p.vit, 7).state_dict(),
                         lsfa::VisionTransformer::random(p.vit, 7).state_dict()));
  EXPECT_TRUE(same_state(lsfa::PointMae::random(p.point_mae, 7).state_dict(),
                         lsfa::PointMae::random(p.point_mae, 7).state_dict()));
  auto a = lsfa::VisionTransformer::random(p.vit, 7).state_dict();
  auto b = lsfa::VisionTransformer::random(p.vit, 8).state_dict();
  EXPECT_FALSE(at::equal(a.at("blocks.0.attn.qkv.weight"), b.at("blocks.0.attn.qkv.weight")));
  EXPECT_FALSE(at::equal(a.at("pos_embed"), b.at("pos_embed")));
  auto c = lsfa::PointMae::random(p.point_mae, 7).state_dict();
  auto d = lsfa::PointMae::random(p.point_mae, 8).state_dict();
  EXPECT_FALSE(at::equal(c.at("encoder.first_conv.0.weight"), d.at("encoder.first_conv.0.weight")));
  // Different tensors of one model are not copies of each other.
  EXPECT_FALSE(at::equal(a.at("blocks.0.mlp.fc1.weight"), a.at("blocks.1.mlp.fc1.weight")));
}

TEST(RandomInit, TruncatedNormalStatistics) {
  auto sd = lsfa::VisionTransformer::random(lsfa::backbone_preset("small").vit, 1).state_dict();
  auto w = sd.at("blocks.0.mlp.fc1.weight");
  // Normal(0, 0.02) truncated at +-2 std has std 0.02 * 0.8796.
  EXPECT_NEAR(w.std().item<double>(), 0.02 * 0.8796, 0.0005);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.0005);
  EXPECT_LE(w.abs().max().item<double>(), 0.04 + 1e-7);
  EXPECT_TRUE(
      at::equal(sd.at("blocks.0.mlp.fc1.bias"), at::zeros_like(sd.at("blocks.0.mlp.fc1.bias"))));
  EXPECT_TRUE(at::equal(sd.at("norm.weight"), at::ones_like(sd.at("norm.weight"))));
  auto vit = lsfa::VisionTransformer::random(lsfa::backbone_preset("small").vit, 1);
  EXPECT_NE(vit.description().find("random init (seed 1)"), std::string::npos);
}

// ------------------------------------------------------------------ wrong checkpoints

TEST(Checkpoint, MissingKeyIsNamed) {
  auto sd = weights("vit_small");
  auto cfg = lsfa::vit_config_from_state_dict(sd, "x");
  sd.erase("blocks.1.attn.proj.bias");
  auto msg = error_of([&] { lsfa::VisionTransformer::from_state_dict(sd, cfg, "my-vit.pth"); });
  EXPECT_NE(msg.find("blocks.1.attn.proj.bias"), std::string::npos) << msg;
  EXPECT_NE(msg.find("my-vit.pth"), std::string::npos) << msg;
}

TEST(Checkpoint, WrongShapeIsNamed) {
  auto sd = weights("pmae_eval");
  lsfa::PointMaeConfig base;
  base.fetch_layers = {1, 2, 3};
  auto cfg = lsfa::point_mae_config_from_state_dict(sd, "x", base);
  sd["blocks.blocks.2.mlp.fc2.weight"] = at::zeros({128, 100});
  auto msg = error_of([&] { lsfa::PointMae::from_state_dict(sd, cfg, "pm.pth"); });
  EXPECT_NE(msg.find("blocks.blocks.2.mlp.fc2.weight"), std::string::npos) << msg;
}

TEST(Checkpoint, PointMaeIgnoresDecoderKeysOnly) {
  auto sd = weights("pmae_eval");
  lsfa::PointMaeConfig base;
  base.fetch_layers = {1, 2, 3};
  auto cfg = lsfa::point_mae_config_from_state_dict(sd, "x", base);
  sd["MAE_decoder.blocks.0.norm1.weight"] = at::ones({128});
  sd["mask_token"] = at::zeros({1, 1, 128});
  EXPECT_NO_THROW(lsfa::PointMae::from_state_dict(sd, cfg, "pm.pth"));
  sd["cls_head_finetune.0.weight"] = at::zeros({3, 3});
  EXPECT_NE(error_of([&] { lsfa::PointMae::from_state_dict(sd, cfg, "pm.pth"); }), "");
}

TEST(Checkpoint, SizesComeFromTheFileNotThePreset) {
  // vit_small has dim 192 / depth 2, the small preset depth 4 and paper dim 768: with any preset
  // the file's sizes are built, and the output matches the reference forward.
  lsfa::BackboneOptions o;
  o.vit_checkpoint = weights_file("vit_small");
  for (const char *preset : {"small", "paper"}) {
    auto b = lsfa::build_backbones(preset, o);
    EXPECT_EQ(b.rgb.config().dim, 192) << preset;
    EXPECT_EQ(b.rgb.config().depth, 2) << preset;
    auto data = io("vit_small");
    EXPECT_LE(max_abs_diff(b.rgb.forward(data.at("input")), data.at("output")), 1e-4) << preset;
  }
}

TEST(Checkpoint, AnyConsistentShapesLoadWithThePresetsGrouping) {
  // A ViT 128 wide and 3 deep, a Point-MAE 128 wide and 12 deep: sizes of no preset.
  lsfa::BackboneOptions o;
  o.vit_checkpoint = weights_file("vit_w128_d3");
  o.point_mae_checkpoint = weights_file("pmae_w128_d12");
  auto b = lsfa::build_backbones("small", o);
  EXPECT_EQ(b.rgb.config().dim, 128);
  EXPECT_EQ(b.rgb.config().depth, 3);
  EXPECT_EQ(b.rgb.config().heads, 2);  // width / 64
  EXPECT_EQ(b.points.config().dim, 128);
  EXPECT_EQ(b.points.config().depth, 12);
  EXPECT_EQ(b.points.config().groups, 256);  // the preset's grouping
  EXPECT_EQ(b.points.config().fetch_layers, (std::vector<int64_t>{1, 2, 3}));
  auto vit_io = io("vit_w128_d3");
  EXPECT_LE(max_abs_diff(b.rgb.forward(vit_io.at("input")), vit_io.at("output")), 1e-4);
  expect_point_mae_parity(b.points, "pmae_w128_d12");
  // Layers that a shallower file lacks are chosen by thirds of its depth.
  EXPECT_EQ(lsfa::fetch_layers_for(12, {3, 7, 11}), (std::vector<int64_t>{3, 7, 11}));
  EXPECT_EQ(lsfa::fetch_layers_for(4, {3, 7, 11}), (std::vector<int64_t>{0, 2, 3}));
  EXPECT_EQ(lsfa::fetch_layers_for(1, {3, 7, 11}), (std::vector<int64_t>{0}));
}

TEST(Checkpoint, NotAViTStateDict) {
  auto msg = error_of([&] { lsfa::vit_config_from_state_dict(weights("pmae_eval"), "f.pth"); });
  EXPECT_NE(msg.find("patch_embed.proj.weight"), std::string::npos) << msg;
}

// ------------------------------------------------------------------ presets

TEST(Presets, ListAndLookUp) {
  const auto &all = lsfa::backbone_presets();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].name, "paper");
  const auto &paper = lsfa::backbone_preset("paper");
  EXPECT_EQ(paper.vit.dim, 768);
  EXPECT_EQ(paper.vit.depth, 12);
  EXPECT_EQ(paper.vit.heads, 12);
  EXPECT_EQ(paper.vit.patch, 8);
  EXPECT_EQ(paper.point_mae.dim, 384);
  EXPECT_EQ(paper.point_mae.groups, 1024);
  EXPECT_EQ(paper.point_mae.group_size, 128);
  EXPECT_EQ(paper.point_mae.fetch_layers, (std::vector<int64_t>{3, 7, 11}));
  const auto &s8 = lsfa::backbone_preset("vit-s8");
  EXPECT_EQ(s8.vit.dim, 384);
  EXPECT_EQ(s8.vit.heads, 6);
  EXPECT_EQ(s8.vit.mlp_hidden, 1536);
  lsfa::BackboneOptions o;
  o.batch_statistics = true;
  o.seed = 5;
  auto b = lsfa::build_backbones("small", o);
  EXPECT_TRUE(b.points.config().batch_statistics);
  EXPECT_TRUE(same_state(b.rgb.state_dict(),
                         lsfa::VisionTransformer::random(b.rgb.config(), 5).state_dict()));
  auto msg = error_of([] { lsfa::backbone_preset("huge"); });
  EXPECT_NE(msg.find("huge"), std::string::npos);
  EXPECT_NE(msg.find("small"), std::string::npos);
}

TEST(Presets, SmallPresetRunsAWholeFrame) {
  auto b = lsfa::build_backbones("small", {});
  auto image = at::randn({1, 3, 224, 224});
  auto cloud = at::zeros({224, 224, 3});
  auto yy = at::arange(224, at::kFloat).view({224, 1}).expand({224, 224}) / 224.0;
  auto xx = at::arange(224, at::kFloat).view({1, 224}).expand({224, 224}) / 224.0;
  cloud.select(2, 0).copy_(xx * 0.1);
  cloud.select(2, 1).copy_(yy * 0.1);
  cloud.select(2, 2).copy_(0.6 + 0.01 * at::sin(xx * 20.0));
  cloud.slice(0, 0, 60).zero_();
  auto t0 = std::chrono::steady_clock::now();
  auto rgb = b.rgb.forward(image);
  auto pts = b.points.forward(cloud);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(rgb.sizes(), (std::vector<int64_t>{1, 192, 28, 28}));
  EXPECT_EQ(pts.features.sizes(), (std::vector<int64_t>{256, 3 * 192}));
  EXPECT_EQ(pts.centers.sizes(), (std::vector<int64_t>{256, 3}));
  EXPECT_TRUE(at::isfinite(pts.features).all().item<bool>());
  std::printf("small preset, one frame: %.3f s on %d threads\n", s, lsfa::get_threads());
}

const ::testing::Environment *const fixtures_environment =
    ::testing::AddGlobalTestEnvironment(new Fixtures);

}  // namespace
