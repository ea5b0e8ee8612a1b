// Approximate memory bank indexes (FAISS ivf-flat and hnsw, lsfa/model/bank_index.h): recall of the
// nearest entry against the exact search on random data, exact distances for what they return,
// the exact search untouched, and a clear error in builds without FAISS.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>

#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/model/bank_index.h"
#include "lsfa/model/memory_bank.h"

namespace {

// Recall@1 bounds on random Gaussian data, the hardest case for these indexes (no clusters);
// docs/scoring.md gives the measured values. Patch features are far more clustered.
constexpr double kIvfRecallBound = 0.70;
constexpr double kHnswRecallBound = 0.90;

double recall_at_1(const lsfa::MemoryBank &exact, const lsfa::MemoryBank &approx,
                   const at::Tensor &queries) {
  lsfa::NeighbourResult e = exact.nearest(queries);
  lsfa::NeighbourResult a = approx.nearest(queries);
  // The same distance counts as found (ties between equidistant entries).
  return a.distances.le(e.distances).to(at::kDouble).mean().item<double>();
}

TEST(BankIndex, NamesAndDefaults) {
  EXPECT_EQ(lsfa::bank_index_kind_from_string("ivf-flat"), lsfa::BankIndexKind::kIvfFlat);
  EXPECT_EQ(lsfa::to_string(lsfa::BankIndexKind::kHnsw), "hnsw");
  try {
    lsfa::bank_index_kind_from_string("annoy");
    ADD_FAILURE();
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("choose exact, ivf-flat or hnsw"), std::string::npos);
  }
  lsfa::BankIndexSpec ivf;
  ivf.kind = lsfa::BankIndexKind::kIvfFlat;
  const lsfa::BankIndexSpec r = lsfa::resolve_index_spec(ivf, 20000);
  EXPECT_EQ(r.nlist, 141);                                 // round(sqrt(20000))
  EXPECT_EQ(r.nprobe, 18);                                 // ceil(141 / 8)
  EXPECT_EQ(lsfa::resolve_index_spec(ivf, 100).nlist, 2);  // at least 39 points per cell
}

TEST(BankIndex, ExactSpecLeavesTheExactSearchAsItWas) {
  at::manual_seed(3);
  at::Tensor bank = at::randn({3000, 48}), q = at::randn({500, 48});
  lsfa::MemoryBank plain(bank), reset(bank);
  reset.use_index(lsfa::BankIndexSpec{});
  lsfa::NeighbourResult a = plain.knn(q, 3), b = reset.knn(q, 3);
  EXPECT_TRUE(at::equal(a.indices, b.indices));
  EXPECT_TRUE(at::equal(a.distances, b.distances));
  EXPECT_TRUE(reset.index_spec().exact());
}

TEST(BankIndex, WithoutFaissTheApproximateKindsAreRefused) {
  if (lsfa::approximate_index_available()) GTEST_SKIP() << "this build has FAISS";
  lsfa::MemoryBank bank(at::randn({100, 8}));
  lsfa::BankIndexSpec s;
  s.kind = lsfa::BankIndexKind::kHnsw;
  try {
    bank.use_index(s);
    ADD_FAILURE();
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("needs FAISS"), std::string::npos) << e.what();
  }
}

class ApproximateIndexTest : public ::testing::TestWithParam<lsfa::BankIndexKind> {
 protected:
  void SetUp() override {
    if (!lsfa::approximate_index_available()) GTEST_SKIP() << "built without FAISS";
    lsfa::set_threads(2);
  }
};

TEST_P(ApproximateIndexTest, RecallOnRandomDataAndExactDistances) {
  at::manual_seed(11);
  const int64_t m = 10000, d = 64;
  at::Tensor bank = at::randn({m, d});
  // Queries near bank entries (as test patches near normal ones) and plain random ones.
  at::Tensor near =
      bank.index_select(0, at::randint(m, {500}, at::kLong)) + 0.5 * at::randn({500, d});
  at::Tensor queries = at::cat({near, at::randn({500, d})});
  lsfa::MemoryBank exact(bank), approx(bank);
  lsfa::BankIndexSpec spec;
  spec.kind = GetParam();
  approx.use_index(spec);
  EXPECT_EQ(approx.index_spec().kind, GetParam());
  const double recall = recall_at_1(exact, approx, queries);
  std::printf("%s recall@1 on %lld x %lld random entries: %.4f\n",
              lsfa::to_string(GetParam()).c_str(), static_cast<long long>(m),
              static_cast<long long>(d), recall);
  EXPECT_GE(recall, GetParam() == lsfa::BankIndexKind::kHnsw ? kHnswRecallBound : kIvfRecallBound);
  // Near-duplicates of bank entries are found (almost) always.
  EXPECT_GE(recall_at_1(exact, approx, near), 0.95);
  // Every returned distance is the exact distance to the returned entry, ascending per row, and
  // never below the true nearest one.
  lsfa::NeighbourResult a = approx.knn(queries, 3);
  at::Tensor sel = bank.index_select(0, a.indices.reshape({-1})).view({-1, 3, d});
  at::Tensor ref = (queries.unsqueeze(1) - sel).pow(2).sum(2).sqrt();
  EXPECT_TRUE(at::allclose(a.distances, ref, 1e-5, 1e-5));
  EXPECT_TRUE(a.distances.select(1, 0).le(a.distances.select(1, 1)).all().item<bool>());
  EXPECT_TRUE(a.indices.ge(0).all().item<bool>());
  lsfa::NeighbourResult e = exact.nearest(queries);
  EXPECT_TRUE(a.distances.select(1, 0).ge(e.distances - 1e-5).all().item<bool>());
}

TEST_P(ApproximateIndexTest, TinyBanksStillReturnKEntries) {
  // A few entries in many IVF cells, one probed: cells with fewer than k entries make FAISS
  // return -1; those rows fall back to the exact search.
  at::manual_seed(5);
  at::Tensor bank = at::randn({50, 16}), q = at::randn({40, 16});
  lsfa::MemoryBank exact(bank), approx(bank);
  lsfa::BankIndexSpec spec;
  spec.kind = GetParam();
  spec.nlist = 12;
  spec.nprobe = 1;
  approx.use_index(spec);
  lsfa::NeighbourResult a = approx.knn(q, 3);
  EXPECT_TRUE(a.indices.ge(0).all().item<bool>());
  EXPECT_TRUE(a.indices.lt(50).all().item<bool>());
}

INSTANTIATE_TEST_SUITE_P(Kinds, ApproximateIndexTest,
                         ::testing::Values(lsfa::BankIndexKind::kIvfFlat,
                                           lsfa::BankIndexKind::kHnsw),
                         [](const auto &info) {
                           return info.param == lsfa::BankIndexKind::kHnsw ? "hnsw" : "ivf_flat";
                         });

}  // namespace
