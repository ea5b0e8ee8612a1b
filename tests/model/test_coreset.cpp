// The fast greedy coreset against the plain one it replaced: identical indices (ties, duplicates,
// early stop included), chunked projection, progress and cancellation. The numpy comparison and the
// size rules are in test_scoring.cpp.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/model/coreset.h"

namespace {

// The selection as it was before the lazy, blocked version, kept verbatim in spirit: a full pass
// per pick over row-major points, distance summed as diff * diff in dimension order, running
// minimum, then the first index of the maximum; the pick's own distance is set to 0; stop when the
// maximum is 0.
std::vector<int64_t> plain_greedy(const at::Tensor &points, int64_t count) {
  at::Tensor z = points.to(at::kFloat).contiguous();
  const int64_t n = z.size(0), d = z.size(1);
  count = std::min(count, n);
  const float *data = z.data_ptr<float>();
  std::vector<float> min_d(static_cast<size_t>(n), std::numeric_limits<float>::infinity());
  std::vector<int64_t> chosen{0};
  int64_t current = 0;
  while (true) {
    const float *c = data + current * d;
    for (int64_t i = 0; i < n; ++i) {
      const float *p = data + i * d;
      float acc = 0.0f;
      for (int64_t k = 0; k < d; ++k) {
        const float diff = p[k] - c[k];
        acc += diff * diff;
      }
      if (acc < min_d[static_cast<size_t>(i)]) min_d[static_cast<size_t>(i)] = acc;
    }
    min_d[static_cast<size_t>(current)] = 0.0f;
    if (static_cast<int64_t>(chosen.size()) >= count) break;
    float best = -1.0f;
    int64_t next = -1;
    for (int64_t i = 0; i < n; ++i)
      if (min_d[static_cast<size_t>(i)] > best) best = min_d[static_cast<size_t>(i)], next = i;
    if (best <= 0.0f) break;
    chosen.push_back(next);
    current = next;
  }
  return chosen;
}

std::vector<int64_t> to_vector(const at::Tensor &idx) {
  at::Tensor c = idx.contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

void expect_same_as_plain(const at::Tensor &z, int64_t count, const std::string &what) {
  const std::vector<int64_t> ref = plain_greedy(z, count);
  EXPECT_EQ(to_vector(lsfa::greedy_coreset(z, count)), ref) << what;
  // The portable kernel (machines without AVX2) must agree as well.
  setenv("LSFA_CORESET_KERNEL", "scalar", 1);
  EXPECT_EQ(to_vector(lsfa::greedy_coreset(z, count)), ref) << what << " (scalar kernel)";
  unsetenv("LSFA_CORESET_KERNEL");
}

at::Generator gen(uint64_t seed) {
  return at::detail::createCPUGenerator(seed);
}

TEST(CoresetExact, RandomPointsOfSeveralShapes) {
  expect_same_as_plain(at::randn({5000, 16}, gen(1)), 500, "5000x16");
  expect_same_as_plain(at::randn({20000, 128}, gen(2)), 1500, "20000x128");  // threaded updates
  expect_same_as_plain(at::randn({999, 3}, gen(3)), 999, "999x3, all points");
  expect_same_as_plain(at::randn({1037, 130}, gen(4)) * 1e3, 200, "1037x130, large values");
  expect_same_as_plain(at::rand({300, 7}, gen(5)) * 1e-3, 299, "300x7, small values");
}

TEST(CoresetExact, TinyInputs) {
  expect_same_as_plain(at::randn({1, 5}, gen(6)), 1, "one point");
  expect_same_as_plain(at::randn({7, 5}, gen(7)), 3, "7 points");
  expect_same_as_plain(at::randn({17, 2}, gen(8)), 17, "17 points");
}

TEST(CoresetExact, TiesAndDuplicates) {
  // Small integers: many equal distances in different tiles, and exact duplicates.
  at::Tensor grid = at::randint(0, 3, {4000, 4}, gen(9)).to(at::kFloat);  // <= 81 distinct
  expect_same_as_plain(grid, 500, "lattice, exhausted");
  expect_same_as_plain(grid, 40, "lattice, ties");
  // Every point duplicated in a far-away tile.
  at::Tensor half = at::randn({3000, 8}, gen(10));
  expect_same_as_plain(at::cat({half, half.flip(0), half}), 2000, "triplicated points");
  // All points identical: only index 0.
  at::Tensor same = at::ones({1000, 4});
  EXPECT_EQ(to_vector(lsfa::greedy_coreset(same, 10)), std::vector<int64_t>{0});
  // Two distinct values: equal distances everywhere, the first index wins.
  at::Tensor two = at::zeros({600, 3});
  two.narrow(0, 300, 300).fill_(1.0f);
  expect_same_as_plain(two, 5, "two values");
}

TEST(CoresetExact, HalfInputSearchesInFloat) {
  at::Tensor z = at::randn({3000, 24}, gen(11)).to(at::kHalf);
  expect_same_as_plain(z, 300, "float16 points");
}

TEST(CoresetExact, ProjectionIsOneMatrixProduct) {
  // Wide features and more rows than a chunk of the row-source overload: OpenBLAS rounds chunked
  // products differently here, so the tensor overload must project in one product, as before.
  at::Tensor f = at::randn({20000, 1152}, gen(12));
  lsfa::CoresetOptions o;
  o.target_count = 300;
  o.projection_dim = 32;
  o.seed = 3;
  at::Tensor z = at::mm(f, lsfa::random_projection_matrix(1152, 32, 3));
  EXPECT_EQ(to_vector(lsfa::coreset_indices(f, o)), plain_greedy(z, 300));
  at::Tensor fh = f.to(at::kHalf);
  at::Tensor zh = at::mm(fh.to(at::kFloat), lsfa::random_projection_matrix(1152, 32, 3));
  EXPECT_EQ(to_vector(lsfa::coreset_indices(fh, o)), plain_greedy(zh, 300));
}

TEST(CoresetExact, RowSourceProjectsChunkByChunk) {
  // Narrow features (no blocking differences in the product): same indices as the tensor overload,
  // over more rows than one chunk (16 384), from float16 rows too.
  at::Tensor f = at::randn({40000, 96}, gen(14));
  lsfa::CoresetOptions o;
  o.target_count = 400;
  o.projection_dim = 32;
  at::Tensor z = at::mm(f, lsfa::random_projection_matrix(96, 32, 0));
  const std::vector<int64_t> ref = plain_greedy(z, 400);
  auto rows = [&](int64_t b, int64_t e) { return f.narrow(0, b, e - b); };
  EXPECT_EQ(to_vector(lsfa::coreset_indices(f.size(0), f.size(1), rows, o)), ref);
  at::Tensor fh = f.to(at::kHalf);
  at::Tensor zh = at::mm(fh.to(at::kFloat), lsfa::random_projection_matrix(96, 32, 0));
  auto half_rows = [&](int64_t b, int64_t e) { return fh.narrow(0, b, e - b); };
  EXPECT_EQ(to_vector(lsfa::coreset_indices(f.size(0), f.size(1), half_rows, o)),
            plain_greedy(zh, 400));
}

TEST(CoresetCallbacks, ReportsProgressAndStops) {
  at::Tensor z = at::randn({4000, 16}, gen(13));
  std::vector<int64_t> seen;
  lsfa::CoresetCallbacks cb;
  cb.progress = [&](int64_t picked, int64_t total) {
    EXPECT_EQ(total, 2000);
    seen.push_back(picked);
  };
  at::Tensor idx = lsfa::greedy_coreset(z, 2000, cb);
  ASSERT_FALSE(seen.empty());
  EXPECT_GE(seen.size(), 100u);  // about every 0.1 %, so a bar can move smoothly
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);
  EXPECT_EQ(seen.back(), idx.numel());

  int polls = 0;
  cb.progress = nullptr;
  cb.cancelled = [&] { return ++polls >= 3; };
  EXPECT_THROW(lsfa::greedy_coreset(z, 2000, cb), lsfa::Error);
  EXPECT_EQ(polls, 3);  // stopped at the first poll that asked for it

  // Early stop on covered points still ends with a final report of what was picked.
  seen.clear();
  cb = {};
  cb.progress = [&](int64_t picked, int64_t) { seen.push_back(picked); };
  at::Tensor idx2 = lsfa::greedy_coreset(at::ones({100, 3}), 50, cb);
  EXPECT_EQ(idx2.numel(), 1);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1);
}

}  // namespace
