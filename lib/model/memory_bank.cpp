#include "lsfa/model/memory_bank.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

#include "lsfa/core/error.h"

namespace lsfa {

SearchPlan plan_search(int64_t queries, int64_t bank_size, int64_t dim, bool bank_is_float32,
                       int64_t max_block_bytes, int64_t target_block_bytes) {
  require(max_block_bytes > 0, "memory bank: the block size limit must be positive");
  const bool cache_sized = target_block_bytes > 0 && target_block_bytes < max_block_bytes;
  const int64_t bytes = cache_sized ? target_block_bytes : max_block_bytes;
  const int64_t budget = std::max<int64_t>(1, bytes / 4);  // float32 elements
  const int64_t convert = bank_is_float32 ? 0 : dim;       // float32 copy of a bank row
  SearchPlan plan;
  // Tall query blocks keep the GEMM efficient; shrink them only when the bank block gets thin. A
  // cache-sized block is taller (a whole 56 x 56 frame of queries) and thinner in the bank.
  int64_t q = std::max<int64_t>(1, std::min<int64_t>(queries, cache_sized ? 4096 : 2048));
  int64_t b = budget / (q + convert);
  const int64_t wanted_bank_rows = std::min<int64_t>(bank_size, 256);
  while (b < wanted_bank_rows && q > 1) {
    q = std::max<int64_t>(1, q / 2);
    b = budget / (q + convert);
  }
  b = std::clamp<int64_t>(b, 1, std::max<int64_t>(1, bank_size));
  if (b == bank_size) {  // the whole bank fits: use the remaining budget for more queries
    const int64_t more = (budget - bank_size * convert) / std::max<int64_t>(1, bank_size);
    q = std::max(q, std::min(queries, more));
  }
  plan.query_rows = std::max<int64_t>(1, q);
  plan.bank_rows = b;
  return plan;
}

MemoryBank::MemoryBank(const at::Tensor &features, at::ScalarType storage) {
  require(features.dim() == 2, "memory bank: features must be [M,D]");
  require(storage == at::kFloat || storage == at::kHalf,
          "memory bank: storage must be float32 or float16");
  require(at::isFloatingType(features.scalar_type()),
          "memory bank: features must be a floating point tensor");
  features_ = features.detach().to(storage).contiguous();
  sq_norms_ = features_.to(at::kFloat).pow(2).sum(1);
}

void MemoryBank::to(const at::Device &device) {
  if (!features_.defined()) return;
  features_ = features_.to(device);
  sq_norms_ = sq_norms_.to(device);
}

void MemoryBank::use_index(const BankIndexSpec &spec) {
  require(!empty(), "memory bank: an index needs a non-empty bank");
  if (spec.exact()) {
    index_.reset();
    return;
  }
  // FAISS indexes the stored (possibly float16-rounded) vectors, as the exact search sees them.
  index_ = std::make_shared<const ApproximateIndex>(features_.to(at::kFloat), spec);
}

BankIndexSpec MemoryBank::index_spec() const {
  return index_ ? index_->spec() : BankIndexSpec{};
}

namespace {

// Exact distances of given candidate rows [Q,k] of `bank` to the queries [Q,D], sorted ascending.
void exact_candidate_distances(const at::Tensor &bank, const at::Tensor &queries, at::Tensor idx,
                               int64_t max_block_bytes, NeighbourResult *out, int64_t offset) {
  const int64_t ql = queries.size(0), k = idx.size(1), d = queries.size(1);
  const int64_t rows = std::max<int64_t>(1, max_block_bytes / (4 * k * d));
  for (int64_t rs = 0; rs < ql; rs += rows) {
    const int64_t rl = std::min(rows, ql - rs);
    at::Tensor ix = idx.narrow(0, rs, rl);
    at::Tensor sel = bank.index_select(0, ix.reshape({-1})).to(at::kFloat).view({rl, k, d});
    at::Tensor dist = (queries.narrow(0, rs, rl).unsqueeze(1) - sel).pow_(2).sum(2).sqrt_();
    if (k > 1) {
      at::Tensor order;
      std::tie(dist, order) = dist.sort(1);
      ix = ix.gather(1, order);
    }
    out->distances.narrow(0, offset + rs, rl).copy_(dist);
    out->indices.narrow(0, offset + rs, rl).copy_(ix);
  }
}

}  // namespace

NeighbourResult MemoryBank::knn(const at::Tensor &queries, int64_t k,
                                const SearchOptions &options) const {
  require(!empty(), "memory bank: search in an empty bank");
  require(queries.dim() == 2 && queries.size(1) == dim(),
          "memory bank: queries must be [Q," + std::to_string(dim()) + "], got dimension " +
              std::to_string(queries.dim() == 2 ? queries.size(1) : -1));
  require(k >= 1 && k <= size(),
          "memory bank: k = " + std::to_string(k) + " outside [1," + std::to_string(size()) + "]");
  const bool bank_f32 = features_.scalar_type() == at::kFloat;
  at::Tensor q = queries.detach().to(features_.device(), at::kFloat).contiguous();
  const int64_t nq = q.size(0), nb = size(), d = dim();
  if (index_) return approximate_knn(q, k, options);
  const SearchPlan plan =
      plan_search(nq, nb, d, bank_f32, options.max_block_bytes,
                  features_.device().is_cpu() ? options.cpu_block_bytes : int64_t{0});
  auto f32 = q.options();
  NeighbourResult out{at::empty({nq, k}, f32), at::empty({nq, k}, f32.dtype(at::kLong))};
  SearchStats stats;

  for (int64_t qs = 0; qs < nq; qs += plan.query_rows) {
    const int64_t ql = std::min(plan.query_rows, nq - qs);
    at::Tensor qb = q.narrow(0, qs, ql);
    at::Tensor best_v, best_i;
    int64_t chunks = 0;
    for (int64_t bs = 0; bs < nb; bs += plan.bank_rows, ++chunks) {
      const int64_t bl = std::min(plan.bank_rows, nb - bs);
      at::Tensor block = features_.narrow(0, bs, bl);
      if (!bank_f32) block = block.to(at::kFloat);
      // |b|^2 - 2 q.b per pair: |q|^2 is constant per row and cannot change the ranking; the
      // survivors' distances are recomputed exactly below.
      at::Tensor partial =
          at::addmm(sq_norms_.narrow(0, bs, bl).unsqueeze(0), qb, block.t(), 1.0, -2.0);
      stats.largest_block_bytes = std::max(
          stats.largest_block_bytes,
          static_cast<int64_t>(partial.nbytes() + (bank_f32 ? size_t{0} : block.nbytes())));
      const int64_t kk = std::min(k, bl);
      at::Tensor v, i;
      if (kk == 1) {
        std::tie(v, i) = partial.min(1, /*keepdim=*/true);
      } else {
        std::tie(v, i) = partial.topk(kk, 1, /*largest=*/false, /*sorted=*/true);
      }
      i.add_(bs);
      if (!best_v.defined()) {
        best_v = v;
        best_i = i;
      } else if (k == 1) {
        at::Tensor better = v.lt(best_v);  // strict: the earlier block keeps ties
        best_v = at::where(better, v, best_v);
        best_i = at::where(better, i, best_i);
      } else {
        at::Tensor all_v = at::cat({best_v, v}, 1), all_i = at::cat({best_i, i}, 1);
        at::Tensor pos;
        std::tie(best_v, pos) = all_v.topk(std::min(k, all_v.size(1)), 1, false, true);
        best_i = all_i.gather(1, pos);
      }
    }
    stats.bank_chunks = chunks;
    ++stats.query_chunks;

    // Exact distances of the survivors from coordinate differences, in row blocks that respect
    // the same memory bound.
    exact_candidate_distances(features_, qb, best_i, options.max_block_bytes, &out, qs);
  }
  if (options.stats) *options.stats = stats;
  return out;
}

NeighbourResult MemoryBank::approximate_knn(const at::Tensor &q, int64_t k,
                                            const SearchOptions &options) const {
  at::Tensor idx = index_->search(q, k).to(features_.device());
  auto f32 = q.options();
  NeighbourResult out{at::empty({q.size(0), k}, f32), at::empty({q.size(0), k}, idx.options())};
  // Rows where the index found fewer than k entries (an IVF probe of small cells) are searched
  // exactly instead of being padded.
  at::Tensor short_rows = idx.lt(0).any(1).nonzero().reshape({-1});
  if (short_rows.numel() > 0) idx.index_fill_(0, short_rows, 0);
  exact_candidate_distances(features_, q, idx, options.max_block_bytes, &out, 0);
  if (short_rows.numel() > 0) {
    MemoryBank exact = *this;
    exact.index_.reset();
    NeighbourResult r = exact.knn(q.index_select(0, short_rows), k, options);
    out.distances.index_copy_(0, short_rows, r.distances);
    out.indices.index_copy_(0, short_rows, r.indices);
  }
  return out;
}

NeighbourResult MemoryBank::nearest(const at::Tensor &queries, const SearchOptions &options) const {
  NeighbourResult r = knn(queries, 1, options);
  return {r.distances.reshape({-1}), r.indices.reshape({-1})};
}

}  // namespace lsfa
