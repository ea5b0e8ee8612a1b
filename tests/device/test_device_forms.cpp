// The device forms of the hand-written CPU stages, run here on the CPU so that they are checked
// on every machine: FPS, kNN and the projection geometry written with ATen operations (what CUDA
// tensors take) against the CPU loops; batched extraction and scoring against one frame at a
// time; the precision setting; device names. The same code on a GPU: tests/device/test_gpu.cpp.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "device_test_data.h"
#include "lsfa/backbones/point_groups.h"
#include "lsfa/core/build_info.h"
#include "lsfa/core/device.h"
#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/model/pipeline.h"
#include "lsfa/model/projection.h"

namespace {

using lsfa::test::device_cloud;

TEST(DeviceForms, FarthestPointSampleAtenEqualsTheCpuLoop) {
  lsfa::set_threads(2);
  for (uint64_t seed : {1, 2, 3}) {
    at::Tensor pts = device_cloud(3000, seed);
    at::Tensor cpu = lsfa::farthest_point_sample(pts, 256);
    at::Tensor aten = lsfa::farthest_point_sample_aten(pts, 256);
    EXPECT_TRUE(cpu.equal(aten)) << "seed " << seed;
  }
  // Ties and points at the origin (never picked after the first): a lattice with duplicates.
  at::Tensor lattice = at::cartesian_prod({at::arange(6, at::kFloat), at::arange(6, at::kFloat),
                                           at::arange(3, at::kFloat)})
                           .repeat({2, 1});
  EXPECT_TRUE(lsfa::farthest_point_sample(lattice, 64)
                  .equal(lsfa::farthest_point_sample_aten(lattice, 64)));
  // More picks than candidates: repeats, as the reference does.
  at::Tensor few = at::tensor({0.f, 0.f, 0.f, 1.f, 0.f, 0.f, 0.f, 2.f, 0.f}).view({3, 3});
  EXPECT_TRUE(lsfa::farthest_point_sample(few, 6).equal(lsfa::farthest_point_sample_aten(few, 6)));
}

TEST(DeviceForms, KnnAtenEqualsTheCpuSweep) {
  at::Tensor pts = device_cloud(2000, 7);
  at::Tensor queries = pts.index_select(0, lsfa::farthest_point_sample(pts, 64));
  EXPECT_TRUE(lsfa::knn_indices(pts, queries, 32).equal(lsfa::knn_indices_aten(pts, queries, 32)));
  // Exact ties: a lattice has many equal distances; both order them by index.
  at::Tensor lattice = at::cartesian_prod(
      {at::arange(8, at::kFloat), at::arange(8, at::kFloat), at::arange(4, at::kFloat)});
  at::Tensor q = lattice.narrow(0, 0, 40);
  EXPECT_TRUE(lsfa::knn_indices(lattice, q, 27).equal(lsfa::knn_indices_aten(lattice, q, 27)));
}

TEST(DeviceForms, ProjectionGeometryAtenMatchesTheCpuLoops) {
  lsfa::Sample sample = lsfa::test::device_sample(96, 72, 3);
  lsfa::Preprocessed pre = lsfa::preprocess(sample, {});
  lsfa::PointGroups g = lsfa::group_points(pre.xyz, 64, 16);
  lsfa::ProjectionNeighbours cpu = lsfa::nearest_centres(pre.xyz, g.centers);
  lsfa::ProjectionNeighbours aten = lsfa::nearest_centres_aten(pre.xyz, g.centers);
  ASSERT_GT(cpu.pixels.numel(), 100);
  EXPECT_TRUE(cpu.pixels.equal(aten.pixels));
  EXPECT_TRUE(cpu.centres.equal(aten.centres));
  EXPECT_TRUE(at::allclose(cpu.weights, aten.weights, 1e-14, 1e-15));
  at::Tensor mc = lsfa::projection_matrix(cpu, 64, 56);
  at::Tensor ma = lsfa::projection_matrix_aten(aten, 64, 56);
  EXPECT_TRUE(at::allclose(mc, ma, 1e-12, 1e-15));
  EXPECT_GT(mc.abs().sum().item<double>(), 1.0);  // not an empty map
}

// Frames through extract_batch and Scorer::score_batch give what one-by-one calls give, bit for
// bit on the CPU.
TEST(DeviceForms, BatchesEqualOneByOne) {
  lsfa::set_threads(2);
  lsfa::test::DeviceModel model = lsfa::test::device_model("cpu");
  std::vector<lsfa::Sample> frames;
  for (uint64_t seed = 20; seed < 24; ++seed)
    frames.push_back(lsfa::test::device_sample(96, 72, seed));
  std::vector<lsfa::SampleFeatures> batch = model.extractor->extract_batch(frames);
  std::vector<lsfa::AnomalyResult> scored = model.scorer->score_batch(batch);
  ASSERT_EQ(batch.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE(i);
    lsfa::SampleFeatures one = model.extractor->extract(frames[i]);
    EXPECT_TRUE(one.rgb_tokens.equal(batch[i].rgb_tokens));
    EXPECT_TRUE(one.point_groups.equal(batch[i].point_groups));
    EXPECT_TRUE(one.point_centers.equal(batch[i].point_centers));
    lsfa::AnomalyResult r = model.scorer->score(one);
    EXPECT_EQ(r.score, scored[i].score);
    EXPECT_EQ(r.score_rgb, scored[i].score_rgb);
    EXPECT_EQ(r.score_3d, scored[i].score_3d);
    EXPECT_TRUE(r.map.equal(scored[i].map));
  }
}

// bf16 autocast changes the features (so the setting is in effect) by a small relative error,
// which the bench reports; fp32 and tf32 on the CPU are the float32 features exactly.
TEST(DeviceForms, PrecisionChangesTheFeaturesBySmallErrors) {
  lsfa::set_threads(2);
  lsfa::Sample frame = lsfa::test::device_sample(96, 72, 30);
  lsfa::ExtractorConfig c;
  c.preset = "small";
  lsfa::SampleFeatures ref = lsfa::FeatureExtractor(c).extract(frame);
  c.precision = lsfa::Precision::kTf32;
  lsfa::SampleFeatures tf32 = lsfa::FeatureExtractor(c).extract(frame);
  EXPECT_TRUE(tf32.rgb_tokens.equal(ref.rgb_tokens));
  c.precision = lsfa::Precision::kBf16;
  lsfa::SampleFeatures bf16 = lsfa::FeatureExtractor(c).extract(frame);
  auto rel = [](const at::Tensor &x, const at::Tensor &r) {
    return ((x.to(at::kDouble) - r.to(at::kDouble)).norm() / r.to(at::kDouble).norm())
        .item<double>();
  };
  const double e_rgb = rel(bf16.rgb_tokens, ref.rgb_tokens);
  const double e_pts = rel(bf16.point_groups, ref.point_groups);
  std::printf("bf16 vs fp32 relative error (CPU, small preset): ViT %.3g, Point-MAE %.3g\n", e_rgb,
              e_pts);
  EXPECT_GT(e_rgb, 0.0);
  EXPECT_LT(e_rgb, 0.05);
  EXPECT_GT(e_pts, 0.0);
  EXPECT_LT(e_pts, 0.05);
  EXPECT_EQ(bf16.rgb_tokens.scalar_type(), at::kFloat);  // features stay float32 tensors
  // The setting is scoped: float32 again afterwards.
  c.precision = lsfa::Precision::kFp32;
  EXPECT_TRUE(lsfa::FeatureExtractor(c).extract(frame).rgb_tokens.equal(ref.rgb_tokens));
}

TEST(DeviceForms, DeviceAndPrecisionNamesAreChecked) {
  EXPECT_TRUE(lsfa::parse_device("cpu").is_cpu());
  EXPECT_THROW(lsfa::parse_device("gpu0"), lsfa::Error);
  EXPECT_THROW(lsfa::precision_from_string("fp8"), lsfa::Error);
  EXPECT_EQ(lsfa::precision_from_string("bf16"), lsfa::Precision::kBf16);
  EXPECT_EQ(lsfa::to_string(lsfa::Precision::kTf32), "tf32");
  if (!lsfa::cuda_usable()) {
    try {
      lsfa::parse_device("cuda:0");
      FAIL() << "cuda:0 accepted without a CUDA device";
    } catch (const lsfa::Error &e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("cuda:0"), std::string::npos) << m;
      EXPECT_TRUE(m.find("no CUDA") != std::string::npos) << m;
    }
    lsfa::ExtractorConfig c;
    c.device = "cuda:0";
    EXPECT_THROW(lsfa::FeatureExtractor{c}, lsfa::Error);
  } else {
    EXPECT_THROW(lsfa::parse_device("cuda:" + std::to_string(lsfa::cuda_device_count())),
                 lsfa::Error);
  }
}

}  // namespace
