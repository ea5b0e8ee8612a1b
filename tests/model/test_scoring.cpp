// Projection to the shared grid, coreset, memory-bank search and PatchCore scoring, checked against
// torch / numpy / scipy reference implementations in tests/python/scoring_reference.py.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/model/coreset.h"
#include "lsfa/model/hold_out.h"
#include "lsfa/model/memory_bank.h"
#include "lsfa/model/projection.h"
#include "lsfa/model/scoring.h"
#include "test_util.h"

namespace {

using lsfa::test::TempDir;

void write_raw(const at::Tensor &t, const std::string &path) {
  at::Tensor c = t.contiguous().cpu();
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char *>(c.data_ptr()), static_cast<std::streamsize>(c.nbytes()));
  ASSERT_TRUE(f.good()) << path;
}

at::Tensor read_raw(const std::string &path, at::ScalarType type, std::vector<int64_t> shape) {
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  std::ifstream f(path, std::ios::binary);
  f.read(static_cast<char *>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  EXPECT_TRUE(f.good()) << "cannot read " << path;
  return t;
}

std::string reference(const std::string &args) {
  std::string out;
  const int rc = lsfa::test::run_python("scoring_reference.py", args, &out);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

double max_abs_diff(const at::Tensor &a, const at::Tensor &b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

// A cloud like a part seen from above: x,y over the image, z around 0.4 m with relief; 30 % of the
// pixels and a 40 x 40 block invalid; one pixel with x = 0 exactly but y, z set (valid).
at::Tensor make_cloud(int64_t s, at::Generator &gen) {
  at::Tensor v = at::linspace(-0.1, 0.1, s, at::kDouble);
  at::Tensor y = v.view({s, 1}).expand({s, s}), x = v.view({1, s}).expand({s, s});
  at::Tensor z = 0.4 + 0.02 * at::sin(x * 40.0) * at::cos(y * 30.0) +
                 0.001 * at::randn({s, s}, gen, at::kDouble);
  at::Tensor xyz = at::stack({x, y, z}, 2).contiguous();
  at::Tensor keep = at::rand({s, s}, gen, at::kDouble).gt(0.3);
  keep.narrow(0, 50, 40).narrow(1, 100, 40).fill_(false);
  xyz = xyz * keep.unsqueeze(2).to(at::kDouble);
  xyz[0][s / 2][0] = 0.0;
  xyz[0][s / 2][1] = 0.05;
  xyz[0][s / 2][2] = 0.4;
  return xyz;
}

// ---------------------------------------------------------------- projection

// The torch reference runs once for the suite (importing torch takes seconds).
class ProjectionReference : public ::testing::Test {
 protected:
  static constexpr int64_t kS = 224, kG = 64, kC = 8, kGrid = 56;
  static void SetUpTestSuite() {
    TempDir dir;
    at::Generator gen = at::detail::createCPUGenerator(7);
    xyz = make_cloud(kS, gen);
    at::Tensor flat = xyz.reshape({-1, 3});
    at::Tensor valid = flat.ne(0).any(1).nonzero().reshape({-1});
    at::Tensor pick = valid.index_select(0, at::randperm(valid.size(0), gen).narrow(0, 0, kG));
    centers = flat.index_select(0, pick) + 0.002 * at::randn({kG, 3}, gen, at::kDouble);
    feats = at::randn({kG, kC}, gen, at::kDouble);
    weight = at::randn({kC, kGrid, kGrid}, gen, at::kDouble);
    write_raw(xyz, dir.file("xyz.f64"));
    write_raw(centers, dir.file("centers.f64"));
    write_raw(feats, dir.file("feats.f64"));
    write_raw(weight, dir.file("weight.f64"));
    reference("projection " + dir.path() + " 224 64 8 56");
    grid_ref = read_raw(dir.file("grid_ref.f64"), at::kDouble, {kC, kGrid, kGrid});
    grad_ref = read_raw(dir.file("grad_ref.f64"), at::kDouble, {kG, kC});
  }
  static void TearDownTestSuite() {
    for (at::Tensor *t : {&xyz, &centers, &feats, &weight, &grid_ref, &grad_ref}) *t = at::Tensor();
  }
  static at::Tensor xyz, centers, feats, weight, grid_ref, grad_ref;
};
at::Tensor ProjectionReference::xyz, ProjectionReference::centers, ProjectionReference::feats,
    ProjectionReference::weight, ProjectionReference::grid_ref, ProjectionReference::grad_ref;

TEST_F(ProjectionReference, MatchesTorchImplementationOfSpec4) {
  at::Tensor grid = lsfa::project_groups_to_grid(xyz.to(at::kFloat), centers.to(at::kFloat), feats);
  ASSERT_EQ(grid.sizes(), grid_ref.sizes());
  EXPECT_LT(max_abs_diff(grid, grid_ref), 1e-5);
  // The reference map is not trivially zero or constant.
  EXPECT_GT(grid_ref.abs().max().item<double>(), 0.1);
  // float32 features give the same grid to float precision.
  at::Tensor grid32 = lsfa::project_groups_to_grid(xyz, centers, feats.to(at::kFloat));
  EXPECT_EQ(grid32.scalar_type(), at::kFloat);
  EXPECT_LT(max_abs_diff(grid32, grid_ref), 1e-5);
}

TEST_F(ProjectionReference, GradientMatchesTorchAutograd) {
  at::Tensor f = feats.clone().set_requires_grad(true);
  at::Tensor grid = lsfa::project_groups_to_grid(xyz, centers, f);
  (grid * weight).sum().backward();
  ASSERT_TRUE(f.grad().defined());
  EXPECT_LT(max_abs_diff(f.grad(), grad_ref), 1e-5);
  EXPECT_GT(grad_ref.abs().max().item<double>(), 0.1);
}

TEST_F(ProjectionReference, SparseProductEqualsTheDenseMatrixProduct) {
  // Without autograd the CPU takes the sparse product; the dense matrix product is the other path.
  at::Generator gen = at::detail::createCPUGenerator(8);
  const lsfa::ProjectionNeighbours nb = lsfa::nearest_centres(xyz, centers);
  const at::Tensor dense = lsfa::projection_matrix(nb, kG, kGrid);
  for (int64_t grid : {kGrid, int64_t{13}}) {
    const at::Tensor m = grid == kGrid ? dense : lsfa::projection_matrix(nb, kG, grid);
    at::Tensor f64 = at::randn({kG, 40}, gen, at::kDouble);
    at::Tensor sparse = lsfa::project_groups_to_grid(xyz, centers, f64, grid);
    EXPECT_LT(max_abs_diff(sparse, lsfa::apply_projection(m, f64, grid)), 1e-12);
    at::Tensor f32 = f64.to(at::kFloat);
    at::Tensor sparse32 = lsfa::project_groups_to_grid(xyz, centers, f32, grid);
    EXPECT_EQ(sparse32.scalar_type(), at::kFloat);
    EXPECT_LT(max_abs_diff(sparse32, lsfa::apply_projection(m, f32, grid)), 1e-5);
  }
}

TEST(Projection, PoolingWeightsEqualAtenPools) {
  // The folded weights equal avg_pool1d(3,1) then adaptive_avg_pool1d applied to unit vectors.
  at::Tensor eye = at::eye(224, at::kDouble).unsqueeze(0);  // [1,224(pixel),224(position)]
  at::Tensor pooled = at::adaptive_avg_pool1d(at::avg_pool1d(eye, {3}, {1}), {56})[0];  // [224,56]
  EXPECT_LT(max_abs_diff(lsfa::pooling_weights_1d(224, 56), pooled.t()), 1e-12);
  // Windows of 222 -> 56 overlap (222/56 is not an integer), so some pixels feed two cells.
  EXPECT_LT(max_abs_diff(lsfa::pooling_weights_1d(224, 56).sum(1), at::ones({56}, at::kDouble)),
            1e-12);
}

TEST(Projection, EmptyCloudGivesZerosAndBadInputsThrow) {
  at::Tensor xyz = at::zeros({32, 32, 3});
  at::Tensor centers = at::rand({5, 3});
  at::Tensor feats = at::randn({5, 4});
  at::Tensor grid = lsfa::project_groups_to_grid(xyz, centers, feats, 8);
  EXPECT_EQ(grid.sizes(), (std::vector<int64_t>{4, 8, 8}));
  EXPECT_EQ(grid.abs().max().item<float>(), 0.0f);
  EXPECT_THROW(lsfa::project_groups_to_grid(xyz, centers.narrow(0, 0, 2), feats.narrow(0, 0, 2)),
               lsfa::Error);
  EXPECT_THROW(lsfa::project_groups_to_grid(xyz, centers, feats.narrow(0, 0, 4)), lsfa::Error);
  EXPECT_THROW(lsfa::project_groups_to_grid(at::zeros({32, 30, 3}), centers, feats), lsfa::Error);
  EXPECT_THROW(lsfa::project_groups_to_grid(xyz, centers, feats, 31), lsfa::Error);
}

TEST(Projection, SinglePointTakesItsCentreFeatureInEveryCoveredCell) {
  // One valid pixel exactly on centre 1: its feature is centre 1's (weight ~1), spread by the
  // pools.
  at::Tensor xyz = at::zeros({8, 8, 3}, at::kDouble);
  xyz[3][4][0] = 1.0;
  at::Tensor centers =
      at::tensor({0.0, 0.0, 5.0, 1.0, 0.0, 0.0, 0.0, 5.0, 0.0}, at::kDouble).view({3, 3});
  at::Tensor feats = at::tensor({10.0, 7.0, 3.0}, at::kDouble).view({3, 1});
  at::Tensor grid = lsfa::project_groups_to_grid(xyz, centers, feats, 6);  // 8 -> 6: pool only
  // avg_pool 3x3 over 8x8 -> 6x6; adaptive 6 -> 6 is the identity. Pixel (3,4) lies in windows
  // starting at rows 1..3 and columns 2..4, each with weight 1/9.
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      const bool covered = i >= 1 && i <= 3 && j >= 2 && j <= 4;
      EXPECT_NEAR(grid[0][i][j].item<double>(), covered ? 7.0 / 9.0 : 0.0, 1e-9) << i << "," << j;
    }
}

TEST(Projection, RgbTokensRepeatTwice) {
  at::Tensor tokens = at::arange(2 * 28 * 28, at::kFloat).view({2, 28, 28});
  at::Tensor grid = lsfa::rgb_tokens_to_grid(tokens);
  ASSERT_EQ(grid.sizes(), (std::vector<int64_t>{2, 56, 56}));
  for (int64_t y : {0, 1, 17, 54, 55})
    for (int64_t x : {0, 1, 30, 55})
      EXPECT_EQ(grid[1][y][x].item<float>(), tokens[1][y / 2][x / 2].item<float>());
  at::Tensor t = tokens.clone().set_requires_grad(true);
  lsfa::rgb_tokens_to_grid(t).sum().backward();
  EXPECT_EQ(t.grad().min().item<float>(), 4.0f);  // every token feeds exactly 4 cells
  EXPECT_EQ(t.grad().max().item<float>(), 4.0f);
}

TEST(Projection, NearestCentresEqualBruteForce) {
  // The CPU search (a grid over the centres) against the ATen brute force on CPU tensors: the same
  // 3 centres (lower index first on exact ties) and weights, on clouds that stress the grid.
  at::Generator gen = at::detail::createCPUGenerator(31);
  const int64_t s = 48;
  at::Tensor lin = at::linspace(-1.0, 1.0, s, at::kDouble);
  at::Tensor yy = lin.view({s, 1}).expand({s, s}), xx = lin.view({1, s}).expand({s, s});
  at::Tensor surface =
      at::stack({xx, yy, 0.2 * at::sin(3 * xx) * at::cos(2 * yy) + 3.0}, 2).contiguous();
  at::Tensor plane = at::stack({xx, yy, at::full({s, s}, 5.0, at::kDouble)}, 2).contiguous();
  at::Tensor cube = at::rand({s, s, 3}, gen, at::kDouble) * 10.0 - 5.0;
  // Integer coordinates: many pixels at exactly equal distances from several centres.
  at::Tensor lattice = at::randint(0, 6, {s, s, 3}, gen).to(at::kDouble) + 1.0;
  struct Case {
    const char *name;
    at::Tensor xyz;
    int64_t groups;
  };
  for (const Case &c : {Case{"surface", surface, 256}, Case{"plane", plane, 64},
                        Case{"cube", cube, 300}, Case{"lattice", lattice, 100},
                        Case{"few centres", surface, 12}, Case{"many centres", cube, 1500}}) {
    at::Tensor xyz = c.xyz * at::rand({s, s, 1}, gen, at::kDouble).gt(0.2).to(at::kDouble);
    at::Tensor flat = xyz.reshape({-1, 3});
    at::Tensor valid = flat.ne(0).any(1).nonzero().reshape({-1});
    at::Tensor pick =
        valid.index_select(0, at::randperm(valid.size(0), gen).narrow(0, 0, c.groups));
    at::Tensor centers = flat.index_select(0, pick);
    // Pixels outside the centres' box (far and near), and a repeated centre.
    xyz[0][0] = at::tensor({40.0, -30.0, 20.0}, at::kDouble);
    xyz[0][1] = flat[valid[0].item<int64_t>()] * 1.5;
    centers[1] = centers[0];
    lsfa::ProjectionNeighbours fast = lsfa::nearest_centres(xyz, centers);
    lsfa::ProjectionNeighbours brute = lsfa::nearest_centres_aten(xyz, centers);
    EXPECT_TRUE(fast.pixels.equal(brute.pixels)) << c.name;
    EXPECT_TRUE(fast.centres.equal(brute.centres)) << c.name;
    EXPECT_TRUE(at::allclose(fast.weights, brute.weights, 1e-14, 1e-15)) << c.name;
  }
}

TEST(Projection, PatchRowsAreTheGridTransposed) {
  // RGB: token rows to patch rows equal the [C,grid,grid] upsampling read cell by cell, also for a
  // grid that is not a multiple of the token map and a non-square map.
  at::Generator gen = at::detail::createCPUGenerator(12);
  for (auto [h, w, grid] :
       {std::tuple<int64_t, int64_t, int64_t>{28, 28, 56}, {28, 28, 45}, {5, 7, 9}}) {
    at::Tensor tokens = at::randn({3, h, w}, gen);
    at::Tensor rows = lsfa::rgb_tokens_to_patches(tokens.reshape({3, h * w}).t(), h, w, grid);
    EXPECT_TRUE(rows.equal(lsfa::rgb_tokens_to_grid(tokens, grid).reshape({3, -1}).t()))
        << h << "x" << w << " -> " << grid;
  }
  EXPECT_THROW(lsfa::rgb_tokens_to_patches(at::zeros({10, 3}), 3, 3, 6), lsfa::Error);
  EXPECT_THROW(lsfa::rgb_tokens_to_patches(at::zeros({9, 3}), 3, 3, 2), lsfa::Error);
  // Points: the patch rows (sparse product) read as [C,grid,grid] equal the dense matrix product
  // in its own [C,grid,grid] layout.
  at::Tensor xyz = at::rand({32, 32, 3}, gen, at::kDouble) + 0.5;
  at::Tensor centers = xyz.reshape({-1, 3}).narrow(0, 0, 12);
  at::Tensor feats = at::randn({12, 5}, gen, at::kDouble);
  at::Tensor patches = lsfa::project_groups_to_patches(xyz, centers, feats, 8);
  ASSERT_EQ(patches.sizes(), (std::vector<int64_t>{64, 5}));
  at::Tensor dense = lsfa::apply_projection(
      lsfa::projection_matrix(lsfa::nearest_centres(xyz, centers), 12, 8), feats, 8);
  EXPECT_LT(max_abs_diff(patches.t().reshape({5, 8, 8}), dense), 1e-12);
  EXPECT_GT(dense.abs().max().item<double>(), 0.1);
  EXPECT_TRUE(
      lsfa::project_groups_to_grid(xyz, centers, feats, 8).equal(patches.t().reshape({5, 8, 8})));
}

// ---------------------------------------------------------------- coreset

TEST(Coreset, MatchesNumpyGreedyOnProjectedData) {
  TempDir dir;
  at::Generator gen = at::detail::createCPUGenerator(3);
  at::Tensor z = at::randn({3000, 16}, gen, at::kDouble);
  write_raw(z, dir.file("z.f64"));
  reference("coreset " + dir.path() + " 3000 16 300");
  at::Tensor ref = read_raw(dir.file("idx_ref.i64"), at::kLong, {300});
  at::Tensor idx = lsfa::greedy_coreset(z, 300);
  ASSERT_EQ(idx.numel(), 300);
  EXPECT_TRUE(idx.equal(ref));
}

TEST(Coreset, Float32SearchPicksAFarthestPointEachStep) {
  at::Generator gen = at::detail::createCPUGenerator(4);
  at::Tensor z = at::randn({2000, 32}, gen, at::kDouble);
  at::Tensor idx = lsfa::greedy_coreset(z.to(at::kFloat), 100);
  ASSERT_EQ(idx.numel(), 100);
  EXPECT_EQ(idx[0].item<int64_t>(), 0);
  EXPECT_EQ(std::get<0>(at::_unique(idx)).numel(), 100);
  at::Tensor min_d = (z - z[0]).pow(2).sum(1).sqrt();
  for (int64_t i = 1; i < idx.numel(); ++i) {
    const int64_t c = idx[i].item<int64_t>();
    // The chosen point is within float rounding of the farthest one (exact distances, double).
    EXPECT_GE(min_d[c].item<double>(), min_d.max().item<double>() * (1.0 - 1e-5)) << "step " << i;
    min_d = at::minimum(min_d, (z - z[c]).pow(2).sum(1).sqrt());
  }
}

TEST(Coreset, StopsWhenEveryPointIsCovered) {
  at::Tensor distinct = at::tensor({0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f, 5.0f, 5.0f}).view({4, 2});
  at::Tensor z = distinct.repeat({3, 1});  // 12 points, 4 distinct
  at::Tensor idx = lsfa::greedy_coreset(z, 10);
  ASSERT_EQ(idx.numel(), 4);
  EXPECT_EQ(idx[0].item<int64_t>(), 0);
  EXPECT_EQ(idx[1].item<int64_t>(), 3);  // (5,5) is farthest from (0,0)
  at::Tensor sorted = std::get<0>(
      at::_unique(z.index_select(0, idx).select(1, 0) * 10 + z.index_select(0, idx).select(1, 1)));
  EXPECT_EQ(sorted.numel(), 4);
}

TEST(Coreset, SizeRules) {
  lsfa::CoresetOptions o;
  EXPECT_EQ(lsfa::coreset_size(1000, o), 100);
  EXPECT_EQ(lsfa::coreset_size(4, o), 1);
  o.ratio = 0.25;
  EXPECT_EQ(lsfa::coreset_size(1001, o), 250);
  o.target_count = 42;
  EXPECT_EQ(lsfa::coreset_size(1000, o), 42);
  EXPECT_EQ(lsfa::coreset_size(10, o), 10);
  o.target_count = 0;
  o.ratio = 0.0;
  EXPECT_THROW(lsfa::coreset_size(10, o), lsfa::Error);
  o.ratio = 1.5;
  EXPECT_THROW(lsfa::coreset_size(10, o), lsfa::Error);
}

TEST(Coreset, ProjectionIsSeededGaussian) {
  at::Tensor a = lsfa::random_projection_matrix(768, 128, 0);
  EXPECT_TRUE(a.equal(lsfa::random_projection_matrix(768, 128, 0)));
  EXPECT_FALSE(a.equal(lsfa::random_projection_matrix(768, 128, 1)));
  // N(0, 1/128): 98304 samples, so mean and variance are known to well under 2 %.
  EXPECT_NEAR(a.mean().item<double>(), 0.0, 0.01 / std::sqrt(128.0));
  EXPECT_NEAR(a.var().item<double>() * 128.0, 1.0, 0.02);
  // Fixed values: the generator (mt19937_64 + Box-Muller) must not change between releases, or
  // stored bundles could not be reproduced.
  at::Tensor small = lsfa::random_projection_matrix(2, 2, 0) * std::sqrt(2.0);
  at::Tensor again = lsfa::random_projection_matrix(2, 2, 0) * std::sqrt(2.0);
  EXPECT_TRUE(small.equal(again));
}

TEST(Coreset, OptionsProjectThenSelect) {
  at::Generator gen = at::detail::createCPUGenerator(5);
  at::Tensor f = at::randn({500, 200}, gen);
  lsfa::CoresetOptions o;
  o.target_count = 50;
  o.projection_dim = 16;
  o.seed = 9;
  at::Tensor expected =
      lsfa::greedy_coreset(at::mm(f, lsfa::random_projection_matrix(200, 16, 9)), 50);
  EXPECT_TRUE(lsfa::coreset_indices(f, o).equal(expected));
  o.projection_dim = 0;  // raw features
  EXPECT_TRUE(lsfa::coreset_indices(f, o).equal(lsfa::greedy_coreset(f, 50)));
}

// ---------------------------------------------------------------- memory bank

struct KnnCase {
  at::Tensor q, bank, dist_ref, idx_ref;
};

KnnCase knn_reference(TempDir &dir, int64_t nq, int64_t m, int64_t d, int64_t k, uint64_t seed,
                      bool half) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  KnnCase c;
  // Clustered data so neighbours are well separated from the second best (no near ties).
  at::Tensor centres = 3.0 * at::randn({m / 10 + 1, d}, gen);
  c.bank = centres.index_select(0, at::randint(centres.size(0), {m}, gen)) + at::randn({m, d}, gen);
  if (half) c.bank = c.bank.to(at::kHalf).to(at::kFloat);
  c.q = centres.index_select(0, at::randint(centres.size(0), {nq}, gen)) + at::randn({nq, d}, gen);
  write_raw(c.q, dir.file("q.f32"));
  write_raw(c.bank, dir.file("bank.f32"));
  reference("knn " + dir.path() + " " + std::to_string(nq) + " " + std::to_string(m) + " " +
            std::to_string(d) + " " + std::to_string(k));
  c.dist_ref = read_raw(dir.file("dist_ref.f64"), at::kDouble, {nq, k});
  c.idx_ref = read_raw(dir.file("idx_ref.i64"), at::kLong, {nq, k});
  return c;
}

TEST(MemoryBank, KnnMatchesBruteForceAcrossBlockSizes) {
  TempDir dir;
  KnnCase c = knn_reference(dir, 300, 1000, 32, 5, 11, false);
  lsfa::MemoryBank bank(c.bank);
  // One block; then limits whose blocks do not divide 300 queries or 1000 bank rows.
  for (int64_t limit : {int64_t{1} << 30, int64_t{4 * 97 * 131}, int64_t{4 * 1000}}) {
    lsfa::SearchStats stats;
    lsfa::NeighbourResult r = bank.knn(c.q, 5, {limit, &stats});
    EXPECT_TRUE(r.indices.equal(c.idx_ref)) << "limit " << limit;
    EXPECT_LT(max_abs_diff(r.distances, c.dist_ref), 1e-4) << "limit " << limit;
    EXPECT_LE(stats.largest_block_bytes, limit);
  }
  lsfa::NeighbourResult one = bank.nearest(c.q, {4 * 97 * 131});
  EXPECT_EQ(one.indices.dim(), 1);
  EXPECT_TRUE(one.indices.equal(c.idx_ref.select(1, 0)));
  EXPECT_LT(max_abs_diff(one.distances, c.dist_ref.select(1, 0)), 1e-4);
}

TEST(MemoryBank, HalfStorageSearchesTheRoundedVectors) {
  TempDir dir;
  KnnCase c = knn_reference(dir, 200, 700, 24, 3, 12, true);
  lsfa::MemoryBank bank(c.bank, at::kHalf);
  EXPECT_EQ(bank.features().scalar_type(), at::kHalf);
  for (int64_t limit : {int64_t{1} << 30, int64_t{4 * (64 * 70 + 70 * 24)}}) {
    lsfa::SearchStats stats;
    lsfa::NeighbourResult r = bank.knn(c.q, 3, {limit, &stats});
    EXPECT_TRUE(r.indices.equal(c.idx_ref));
    EXPECT_LT(max_abs_diff(r.distances, c.dist_ref), 1e-4);
    EXPECT_LE(stats.largest_block_bytes, limit);
  }
}

TEST(MemoryBank, BlocksRespectTheMemoryLimit) {
  at::Generator gen = at::detail::createCPUGenerator(13);
  lsfa::MemoryBank bank(at::randn({5000, 64}, gen));
  at::Tensor q = at::randn({3136, 64}, gen);
  // Unbounded, the distance matrix would take 3136 * 5000 * 4 bytes = 60 MiB.
  const int64_t limit = int64_t{1} << 20;
  lsfa::SearchStats stats;
  lsfa::NeighbourResult bounded = bank.knn(q, 2, {limit, &stats});
  EXPECT_LE(stats.largest_block_bytes, limit);
  EXPECT_GT(stats.largest_block_bytes, limit / 2);  // the blocks use the budget they are given
  EXPECT_GT(stats.query_chunks, 1);
  EXPECT_GT(stats.bank_chunks, 1);
  lsfa::SearchStats whole;
  lsfa::NeighbourResult full = bank.knn(q, 2, {int64_t{1} << 30, &whole, 0});
  EXPECT_EQ(whole.bank_chunks, 1);
  EXPECT_TRUE(bounded.indices.equal(full.indices));
  EXPECT_LT(max_abs_diff(bounded.distances, full.distances), 1e-6);
}

TEST(MemoryBank, PlanStaysWithinBudget) {
  for (int64_t q : {1, 7, 3136, 100000})
    for (int64_t m : {1, 3, 999, 200000})
      for (bool f32 : {true, false})
        for (int64_t limit : {int64_t{4096}, int64_t{1} << 20, int64_t{128} << 20}) {
          const int64_t d = 768;
          lsfa::SearchPlan p = lsfa::plan_search(q, m, d, f32, limit);
          ASSERT_GE(p.query_rows, 1);
          ASSERT_GE(p.bank_rows, 1);
          ASSERT_LE(p.bank_rows, m);
          const int64_t bytes = 4 * (p.query_rows * p.bank_rows + (f32 ? 0 : p.bank_rows * d));
          // Only the smallest possible block (one query, one bank row) may exceed a tiny budget.
          if (p.query_rows > 1 || p.bank_rows > 1) {
            EXPECT_LE(bytes, limit) << q << " " << m;
          }
        }
}

TEST(MemoryBank, CacheSizedBlocksGiveTheSameNeighbours) {
  at::Generator gen = at::detail::createCPUGenerator(17);
  lsfa::MemoryBank bank(at::randn({5000, 64}, gen));
  at::Tensor q = at::randn({3136, 64}, gen);
  const int64_t target = lsfa::SearchOptions{}.cpu_block_bytes;  // 8 MiB
  // The plan: a whole frame of queries per block, the bank split to about the target size.
  lsfa::SearchPlan p = lsfa::plan_search(3136, 5000, 64, true, int64_t{128} << 20, target);
  EXPECT_EQ(p.query_rows, 3136);
  EXPECT_EQ(p.bank_rows, target / 4 / 3136);
  // A target above the limit changes nothing; neither does 0.
  lsfa::SearchPlan limit_only = lsfa::plan_search(3136, 5000, 64, true, target);
  lsfa::SearchPlan above = lsfa::plan_search(3136, 5000, 64, true, target, target * 4);
  EXPECT_EQ(above.query_rows, limit_only.query_rows);
  EXPECT_EQ(above.bank_rows, limit_only.bank_rows);

  lsfa::SearchStats cached, whole;
  lsfa::NeighbourResult a = bank.knn(q, 3, {int64_t{1} << 30, &cached, target});
  lsfa::NeighbourResult b = bank.knn(q, 3, {int64_t{1} << 30, &whole, 0});
  EXPECT_EQ(cached.query_chunks, 1);
  EXPECT_EQ(cached.bank_chunks, (5000 + p.bank_rows - 1) / p.bank_rows);
  EXPECT_LE(cached.largest_block_bytes, target);
  EXPECT_EQ(whole.bank_chunks, 1);
  EXPECT_TRUE(a.indices.equal(b.indices));
  EXPECT_LT(max_abs_diff(a.distances, b.distances), 1e-6);
}

TEST(MemoryBank, RejectsBadQueries) {
  lsfa::MemoryBank empty;
  EXPECT_THROW(empty.nearest(at::zeros({2, 3})), lsfa::Error);
  lsfa::MemoryBank bank(at::randn({10, 3}));
  EXPECT_THROW(bank.nearest(at::zeros({2, 4})), lsfa::Error);
  EXPECT_THROW(bank.knn(at::zeros({2, 3}), 11), lsfa::Error);
  EXPECT_THROW(bank.knn(at::zeros({2, 3}), 0), lsfa::Error);
  EXPECT_THROW(lsfa::MemoryBank(at::zeros({10, 3}), at::kDouble), lsfa::Error);
}

// ---------------------------------------------------------------- scoring

TEST(Scoring, ReweightingMatchesM3dmTranscription) {
  TempDir dir;
  at::Generator gen = at::detail::createCPUGenerator(21);
  std::vector<at::Tensor> banks, patches;
  for (int trial = 0; trial < 3; ++trial) {
    banks.push_back(at::randn({400, 64}, gen));
    patches.push_back(at::randn({150, 64}, gen) * (1.0 + 0.5 * trial));
    write_raw(patches.back(), dir.file("patch" + std::to_string(trial) + ".f32"));
    write_raw(banks.back(), dir.file("bank" + std::to_string(trial) + ".f32"));
  }
  std::istringstream out(reference("reweight " + dir.path() + " 3 150 400 64"));
  for (int trial = 0; trial < 3; ++trial) {
    const at::Tensor &bank = banks[trial], &patch = patches[trial];
    double ref = 0;
    out >> ref;
    lsfa::MemoryBank b(bank);
    lsfa::PatchScores s = lsfa::score_patches(b, patch);
    const double got = lsfa::reweighted_image_score(b, patch, s);
    EXPECT_NEAR(got, ref, 1e-5 * std::abs(ref)) << "trial " << trial;
    // The weight is neither 0 nor 1 here, so re-weighting really changes the score.
    const double s_star = s.scores.max().item<double>();
    EXPECT_GT(std::abs(got - s_star), 0.05 * s_star);
  }
  lsfa::MemoryBank tiny(at::randn({2, 4}));
  at::Tensor p = at::randn({3, 4});
  EXPECT_THROW(lsfa::reweighted_image_score(tiny, p, lsfa::score_patches(tiny, p)), lsfa::Error);
}

TEST(Scoring, MapAndBlurMatchTorchBilinearAndScipyGaussian) {
  TempDir dir;
  at::Generator gen = at::detail::createCPUGenerator(22);
  at::Tensor scores = at::rand({56, 56}, gen, at::kDouble);
  scores.narrow(0, 10, 5).narrow(1, 40, 6).add_(3.0);  // a defect-like blob
  write_raw(scores, dir.file("scores.f64"));
  at::Tensor x = at::rand({10, 13}, gen, at::kDouble);  // narrower than the 33-tap kernel
  write_raw(x, dir.file("x.f64"));
  reference("blur " + dir.path() + " 56 224 4 10 13");
  at::Tensor map_ref = read_raw(dir.file("map_ref.f64"), at::kDouble, {224, 224});
  at::Tensor up_ref = read_raw(dir.file("up_ref.f64"), at::kDouble, {224, 224});
  at::Tensor map = lsfa::anomaly_map(scores.to(at::kFloat));
  ASSERT_EQ(map.sizes(), map_ref.sizes());
  EXPECT_EQ(map.scalar_type(), at::kFloat);
  // float32 against scipy's double: 1e-5 on values of order 1 (measured ~1e-6).
  EXPECT_LT(max_abs_diff(map, map_ref), 1e-5);
  // The blur really smooths: the map differs from the plain upsampled scores.
  EXPECT_GT(max_abs_diff(map_ref, up_ref), 0.5);
  // Flat scores [N] and batches [B,g,g] give the same maps.
  EXPECT_LT(max_abs_diff(lsfa::anomaly_map(scores.reshape({-1})), map_ref), 1e-5);
  at::Tensor batch = lsfa::anomaly_map(at::stack({scores, scores * 2.0}));
  EXPECT_LT(max_abs_diff(batch[1], map_ref * 2.0), 2e-5);
  // Maps narrower than the kernel: scipy reflects repeatedly.
  at::Tensor ref = read_raw(dir.file("blur_ref.f64"), at::kDouble, {10, 13});
  EXPECT_LT(max_abs_diff(lsfa::gaussian_blur(x), ref), 1e-6);
  EXPECT_LT(max_abs_diff(lsfa::gaussian_blur_matrix(224).sum(1), at::ones({224}, at::kDouble)),
            1e-12);
}

TEST(Scoring, StatisticsKnownAnswers) {
  lsfa::StatsAccumulator a;
  for (double v : {1.0, 2.0, 3.0, 4.0}) a.add(v);
  lsfa::ScoreStats s = a.stats();
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.std, std::sqrt(1.25), 1e-15);
  EXPECT_EQ(s.count, 4);
  // Large offsets do not destroy the variance, tensors and scalars agree.
  lsfa::StatsAccumulator b;
  b.add(at::tensor({1e9 + 1.0, 1e9 + 2.0}, at::kDouble));
  b.add(1e9 + 3.0);
  b.add(at::tensor({1e9 + 4.0}, at::kDouble));
  EXPECT_NEAR(b.stats().mean, 1e9 + 2.5, 1e-6);
  EXPECT_NEAR(b.stats().std, std::sqrt(1.25), 1e-9);
  EXPECT_THROW(lsfa::StatsAccumulator().stats(), lsfa::Error);
  EXPECT_DOUBLE_EQ(lsfa::normalize_score(7.0, {3.0, 2.0, 4}), 2.0);
  // A constant held-out set gives std 0; normalising then stays finite.
  EXPECT_TRUE(std::isfinite(lsfa::normalize_score(7.0, {3.0, 0.0, 4})));
}

TEST(Scoring, FusionKnownAnswers) {
  lsfa::ModalityStats rgb{{1.0, 2.0, 10}, {0.5, 0.25, 10}};
  lsfa::ModalityStats pts{{10.0, 5.0, 10}, {2.0, 4.0, 10}};
  using lsfa::Modalities;
  EXPECT_DOUBLE_EQ(lsfa::fuse_image_scores(5.0, 25.0, rgb, pts, Modalities::kRgb), 2.0);
  EXPECT_DOUBLE_EQ(lsfa::fuse_image_scores(5.0, 25.0, rgb, pts, Modalities::kPoints), 3.0);
  EXPECT_DOUBLE_EQ(lsfa::fuse_image_scores(5.0, 25.0, rgb, pts, Modalities::kFused), 2.5);
  EXPECT_DOUBLE_EQ(lsfa::fuse_image_scores(5.0, NAN, rgb, pts, Modalities::kRgb), 2.0);
  at::Tensor mr = at::full({2, 2}, 1.0, at::kDouble), mp = at::full({2, 2}, 10.0, at::kDouble);
  EXPECT_DOUBLE_EQ(lsfa::fuse_maps(mr, mp, rgb, pts, Modalities::kFused)[0][0].item<double>(),
                   0.5 * (2.0 + 2.0));
  EXPECT_DOUBLE_EQ(lsfa::fuse_maps(mr, {}, rgb, pts, Modalities::kRgb)[1][1].item<double>(), 2.0);
  EXPECT_THROW(lsfa::fuse_maps(mr, {}, rgb, pts, Modalities::kFused), lsfa::Error);
  for (Modalities m : {Modalities::kRgb, Modalities::kPoints, Modalities::kFused})
    EXPECT_EQ(lsfa::modalities_from_string(lsfa::to_string(m)), m);
  EXPECT_THROW(lsfa::modalities_from_string("fused"), lsfa::Error);
}

TEST(Scoring, QuantilesMatchNumpy) {
  TempDir dir;
  at::Generator gen = at::detail::createCPUGenerator(24);
  at::Tensor v = at::randn({1001}, gen, at::kDouble).exp();
  write_raw(v, dir.file("values.f64"));
  std::istringstream out(reference("quantiles " + dir.path() + " 1001"));
  std::vector<double> values(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    double ref = 0;
    out >> ref;
    EXPECT_NEAR(lsfa::quantile(values, q), ref, 1e-12 * std::abs(ref)) << q;
  }
  double mean = 0, sd = 0;
  out >> mean >> sd;
  lsfa::ThresholdRule rule{0.99, 0.5};
  EXPECT_NEAR(lsfa::calibrate_threshold(values, rule), lsfa::quantile(values, 0.99) + 0.5 * sd,
              1e-9);
  EXPECT_NEAR(lsfa::calibrate_threshold(v.view({7, 11, 13}), rule),
              lsfa::calibrate_threshold(values, rule), 1e-12);
  EXPECT_DOUBLE_EQ(lsfa::quantile({4.0, 1.0, 3.0, 2.0}, 0.5), 2.5);
  EXPECT_THROW(lsfa::quantile({}, 0.5), lsfa::Error);
  EXPECT_THROW(lsfa::quantile({1.0}, 1.5), lsfa::Error);
}

TEST(Scoring, CalibrationKnownAnswerAndJsonRoundTrip) {
  lsfa::HeldOutScores h;
  h.rgb_image = {1.0, 2.0, 3.0, 4.0};
  h.points_image = {10.0, 10.0, 30.0, 30.0};
  h.rgb_maps = at::tensor({0.0, 2.0}, at::kDouble).view({2, 1, 1});
  h.points_maps = at::tensor({5.0, 7.0}, at::kDouble).view({2, 1, 1});
  lsfa::CalibrationRules rules{{1.0, 0.0}, {1.0, 0.0}};
  lsfa::ScoringCalibration c = lsfa::calibrate(h, lsfa::Modalities::kFused, rules);
  EXPECT_DOUBLE_EQ(c.rgb.image.mean, 2.5);
  EXPECT_DOUBLE_EQ(c.points.image.mean, 20.0);
  EXPECT_DOUBLE_EQ(c.points.image.std, 10.0);
  EXPECT_DOUBLE_EQ(c.rgb.pixel.mean, 1.0);
  EXPECT_DOUBLE_EQ(c.points.pixel.std, 1.0);
  // Largest fused normal score: sample 4, (1.5/sqrt(1.25) + 1) / 2; largest fused pixel: 1.
  EXPECT_NEAR(c.image_threshold, 0.5 * (1.5 / std::sqrt(1.25) + 1.0), 1e-12);
  EXPECT_NEAR(c.pixel_threshold, 1.0, 1e-12);
  // RGB only: the 3D scores are not needed.
  lsfa::HeldOutScores rgb_only{h.rgb_image, {}, h.rgb_maps, {}};
  lsfa::ScoringCalibration cr = lsfa::calibrate(rgb_only, lsfa::Modalities::kRgb, rules);
  EXPECT_NEAR(cr.image_threshold, 1.5 / std::sqrt(1.25), 1e-12);
  EXPECT_THROW(lsfa::calibrate(rgb_only, lsfa::Modalities::kFused, rules), lsfa::Error);

  nlohmann::json j = lsfa::to_json(c);
  lsfa::ScoringCalibration back =
      lsfa::scoring_calibration_from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(lsfa::to_json(back), j);
  // Older bundles repeat the modalities as "mode" here: tolerated, not read.
  nlohmann::json legacy = j;
  legacy["mode"] = "fused";
  EXPECT_EQ(lsfa::to_json(lsfa::scoring_calibration_from_json(legacy)), j);
  nlohmann::json broken = j;
  broken["3d"]["pixel"].erase("std");
  try {
    lsfa::scoring_calibration_from_json(broken);
    FAIL() << "expected an error";
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("'std' in scoring calibration 3d.pixel"),
              std::string::npos)
        << e.what();
  }
  broken = j;
  broken["image_threshold"] = "high";
  EXPECT_THROW(lsfa::scoring_calibration_from_json(broken), lsfa::Error);
}

}  // namespace

namespace {

// ---------------------------------------------------------------- calibration you can trust

TEST(HoldOut, SpreadsTheHeldOutSamplesAndNeedsEnoughOfThem) {
  const std::vector<bool> ten = lsfa::hold_out_mask(10, 0.3);
  EXPECT_EQ(ten,
            (std::vector<bool>{false, false, false, true, false, false, true, false, false, true}));
  EXPECT_EQ(lsfa::hold_out_mask(4, 0.9), (std::vector<bool>{false, true, true, true}));
  try {
    lsfa::hold_out_mask(6, 0.2);  // holds out 1
    FAIL() << "expected an error";
  } catch (const lsfa::Error &e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("at least 3 held-out normal samples"), std::string::npos) << msg;
    EXPECT_NE(msg.find("6 normal samples"), std::string::npos) << msg;
    EXPECT_NE(msg.find("gives 1"), std::string::npos) << msg;
  }
  EXPECT_THROW(lsfa::hold_out_mask(3, 0.99), lsfa::Error);  // all but one held out: 2 < 3
  EXPECT_THROW(lsfa::hold_out_mask(10, 0.0), lsfa::Error);
  EXPECT_THROW(lsfa::require_calibration_samples(2, "the validation split"), lsfa::Error);
  EXPECT_NO_THROW(lsfa::require_calibration_samples(3, "the validation split"));
}

TEST(Calibration, StandardDeviationsHaveAFloorAndLoadingRefusesZero) {
  // Three held-out samples with identical scores (the same part filmed again): the std is floored
  // at 0.1 % of the mean instead of 0, so a slightly different normal part scores moderately.
  lsfa::HeldOutScores h;
  h.rgb_image = {2.0, 2.0, 2.0};
  h.rgb_maps = at::full({3, 4, 4}, 5.0f);
  lsfa::ScoringCalibration c = lsfa::calibrate(h, lsfa::Modalities::kRgb);
  EXPECT_DOUBLE_EQ(c.rgb.image.std, 2e-3);
  EXPECT_DOUBLE_EQ(c.rgb.pixel.std, 5e-3);
  EXPECT_NEAR(lsfa::normalize_score(2.002, c.rgb.image), 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(lsfa::floored({0.0, 0.0, 3}).std, lsfa::kStdFloorAbsolute);

  nlohmann::json j = lsfa::to_json(c);
  j["rgb"]["image"]["std"] = 0.0;
  try {
    lsfa::scoring_calibration_from_json(j);
    FAIL() << "expected an error";
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("not positive"), std::string::npos) << e.what();
  }
}

}  // namespace
