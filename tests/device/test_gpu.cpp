// The CUDA path (docs/gpu.md): every test skips itself (GTEST_SKIP, reported as skipped, never as
// passed) where no CUDA device is visible. Kernels against the CPU loops (exact indices), and
// CPU-vs-CUDA parity of features (1e-4 relative in fp32), scores and maps.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "device_test_data.h"
#include "lsfa/backbones/point_groups.h"
#include "lsfa/core/device.h"
#include "lsfa/core/threads.h"
#include "lsfa/model/coreset.h"
#include "lsfa/model/pipeline.h"
#include "lsfa/model/projection.h"

namespace {

using lsfa::test::device_cloud;

class Gpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lsfa::cuda_usable()) GTEST_SKIP() << "no CUDA device visible";
    lsfa::set_threads(2);
  }
  const at::Device cuda{at::kCUDA, 0};
};

double relative_error(const at::Tensor &x, const at::Tensor &ref) {
  at::Tensor r = ref.to(at::kCPU, at::kDouble), v = x.to(at::kCPU, at::kDouble);
  return ((v - r).norm() / r.norm().clamp_min(1e-300)).item<double>();
}

TEST_F(Gpu, FarthestPointSampleKernelEqualsTheCpuLoop) {
  for (int64_t n : {500, 20000, 50176}) {
    at::Tensor pts = device_cloud(n, static_cast<uint64_t>(n));
    at::Tensor cpu = lsfa::farthest_point_sample(pts, 1024);
    at::Tensor gpu = lsfa::farthest_point_sample(pts.to(cuda), 1024);
    EXPECT_TRUE(gpu.is_cuda());
    EXPECT_TRUE(cpu.equal(gpu.cpu())) << n << " points";
    EXPECT_TRUE(cpu.equal(lsfa::farthest_point_sample_aten(pts.to(cuda), 1024).cpu()));
  }
}

TEST_F(Gpu, KnnOnTheDeviceEqualsTheCpuSweep) {
  at::Tensor pts = device_cloud(30000, 3);
  at::Tensor q = pts.index_select(0, lsfa::farthest_point_sample(pts, 512));
  at::Tensor cpu = lsfa::knn_indices(pts, q, 128);
  EXPECT_TRUE(cpu.equal(lsfa::knn_indices(pts.to(cuda), q.to(cuda), 128).cpu()));
}

TEST_F(Gpu, CoresetKernelEqualsTheCpuSelection) {
  at::Tensor z = at::randn({20000, 128}, at::detail::getDefaultCPUGenerator());
  at::Tensor cpu = lsfa::greedy_coreset(z, 2000);
  at::Tensor gpu = lsfa::greedy_coreset(z.to(cuda), 2000);
  EXPECT_TRUE(cpu.equal(gpu.cpu()));
  // Early stop: 50 distinct points repeated, asked for 100.
  at::Tensor rep = z.narrow(0, 0, 50).repeat({4, 1});
  EXPECT_TRUE(lsfa::greedy_coreset(rep, 100).equal(lsfa::greedy_coreset(rep.to(cuda), 100).cpu()));
}

TEST_F(Gpu, ProjectionOnTheDeviceMatchesTheCpu) {
  lsfa::Preprocessed pre = lsfa::preprocess(lsfa::test::device_sample(96, 72, 3), {});
  lsfa::PointGroups g = lsfa::group_points(pre.xyz, 64, 16);
  lsfa::ProjectionNeighbours cpu = lsfa::nearest_centres(pre.xyz, g.centers);
  lsfa::ProjectionNeighbours gpu = lsfa::nearest_centres(pre.xyz.to(cuda), g.centers.to(cuda));
  EXPECT_TRUE(cpu.centres.equal(gpu.centres.cpu()));
  EXPECT_TRUE(at::allclose(cpu.weights, gpu.weights.cpu(), 1e-12, 1e-14));
  EXPECT_TRUE(at::allclose(lsfa::projection_matrix(cpu, 64, 56),
                           lsfa::projection_matrix(gpu, 64, 56).cpu(), 1e-10, 1e-14));
}

// Whole frames: features within 1e-4 relative of the CPU's in fp32, scores and maps close.
TEST_F(Gpu, FramesOnCudaMatchTheCpu) {
  lsfa::test::DeviceModel cpu = lsfa::test::device_model("cpu");
  lsfa::test::DeviceModel gpu = lsfa::test::device_model("cuda:0");
  for (uint64_t seed = 40; seed < 43; ++seed) {
    SCOPED_TRACE(seed);
    lsfa::Sample frame = lsfa::test::device_sample(96, 72, seed);
    lsfa::SampleFeatures fc = cpu.extractor->extract(frame), fg = gpu.extractor->extract(frame);
    ASSERT_TRUE(fg.rgb_tokens.is_cuda());  // features stay on the device between the stages
    EXPECT_LT(relative_error(fg.rgb_tokens, fc.rgb_tokens), 1e-4);
    EXPECT_LT(relative_error(fg.point_groups, fc.point_groups), 1e-4);
    EXPECT_TRUE(fc.point_centers.equal(fg.point_centers.cpu()));  // same FPS picks
    lsfa::AnomalyResult rc = cpu.scorer->score(fc), rg = gpu.scorer->score(fg);
    EXPECT_TRUE(rg.map.device().is_cpu());  // the map comes back once
    EXPECT_NEAR(rg.score, rc.score, 1e-3 * (1 + std::abs(rc.score)));
    EXPECT_NEAR(rg.score_rgb, rc.score_rgb, 1e-3 * (1 + std::abs(rc.score_rgb)));
    EXPECT_NEAR(rg.score_3d, rc.score_3d, 1e-3 * (1 + std::abs(rc.score_3d)));
    EXPECT_LT(relative_error(rg.map, rc.map), 1e-3);
  }
}

TEST_F(Gpu, BatchesOnCudaMatchOneByOne) {
  lsfa::test::DeviceModel gpu = lsfa::test::device_model("cuda:0");
  std::vector<lsfa::Sample> frames;
  for (uint64_t seed = 50; seed < 54; ++seed)
    frames.push_back(lsfa::test::device_sample(96, 72, seed));
  std::vector<lsfa::SampleFeatures> batch = gpu.extractor->extract_batch(frames);
  std::vector<lsfa::AnomalyResult> scored = gpu.scorer->score_batch(batch);
  for (size_t i = 0; i < frames.size(); ++i) {
    lsfa::SampleFeatures one = gpu.extractor->extract(frames[i]);
    EXPECT_LT(relative_error(batch[i].rgb_tokens, one.rgb_tokens), 1e-5);
    EXPECT_NEAR(gpu.scorer->score(one).score, scored[i].score, 1e-4);
  }
}

TEST_F(Gpu, MixedPrecisionErrorIsSmall) {
  lsfa::Sample frame = lsfa::test::device_sample(96, 72, 60);
  lsfa::ExtractorConfig c;
  c.preset = "small";
  c.device = "cuda:0";
  lsfa::SampleFeatures ref = lsfa::FeatureExtractor(c).extract(frame);
  for (lsfa::Precision p : {lsfa::Precision::kTf32, lsfa::Precision::kBf16}) {
    c.precision = p;
    lsfa::SampleFeatures f = lsfa::FeatureExtractor(c).extract(frame);
    const double e = relative_error(f.rgb_tokens, ref.rgb_tokens);
    std::printf("%s vs fp32 on CUDA: ViT relative error %.3g, Point-MAE %.3g\n",
                lsfa::to_string(p).c_str(), e, relative_error(f.point_groups, ref.point_groups));
    EXPECT_LT(e, 0.05);
  }
}

}  // namespace
