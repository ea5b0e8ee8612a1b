// A PatchCore memory bank: M feature vectors of dimension D with exact nearest-neighbour search
// (docs/scoring.md). Distances come from ||a||^2 - 2ab + ||b||^2 (one GEMM per block) over blocks
// whose size is bounded, so a search never holds the whole query x bank distance matrix.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>

#include "lsfa/model/bank_index.h"

namespace lsfa {

struct SearchStats {
  int64_t query_chunks = 0;         // query blocks processed
  int64_t bank_chunks = 0;          // bank blocks per query block
  int64_t largest_block_bytes = 0;  // largest temporary (distance block + converted bank block)
};

struct SearchOptions {
  // Upper bound on the temporaries of one block: the float32 distance block plus, for a bank
  // stored in another dtype, the float32 copy of the bank block.
  int64_t max_block_bytes = int64_t{128} << 20;
  SearchStats *stats = nullptr;  // filled when set
  // On the CPU, the size the distance block aims at when the limit above allows more (0: use the
  // whole limit). A block that stays in the last-level cache between the GEMM that writes it and
  // the minimum that reads it makes the search 5-10 % faster than one of 128 MiB
  // (docs/scoring.md).
  int64_t cpu_block_bytes = int64_t{8} << 20;
};

struct NeighbourResult {
  at::Tensor distances;  // [Q,k] float32 Euclidean distances, ascending per row
  at::Tensor indices;    // [Q,k] int64 bank rows
};

// Block sizes a search uses: query rows and bank rows per block.
struct SearchPlan {
  int64_t query_rows = 0;
  int64_t bank_rows = 0;
};
// target_block_bytes > 0 sizes the blocks for about that many bytes when max_block_bytes is larger.
SearchPlan plan_search(int64_t queries, int64_t bank_size, int64_t dim, bool bank_is_float32,
                       int64_t max_block_bytes, int64_t target_block_bytes = 0);

class MemoryBank {
 public:
  MemoryBank() = default;
  // features [M,D] (any floating dtype, any device); kept as `storage` (float32 or float16).
  explicit MemoryBank(const at::Tensor &features, at::ScalarType storage = at::kFloat);

  const at::Tensor &features() const { return features_; }  // [M,D] in the storage dtype
  int64_t size() const { return features_.defined() ? features_.size(0) : 0; }
  int64_t dim() const { return features_.defined() ? features_.size(1) : 0; }
  bool empty() const { return size() == 0; }

  // The k nearest bank entries of each query row [Q,D] (exact unless an approximate index is in
  // use). k <= size(). Indices from the GEMM form (or the index); the returned distances are
  // recomputed from coordinate differences, so they are exact to float32 rounding.
  NeighbourResult knn(const at::Tensor &queries, int64_t k,
                      const SearchOptions &options = {}) const;
  // k = 1, flattened: distances [Q], indices [Q].
  NeighbourResult nearest(const at::Tensor &queries, const SearchOptions &options = {}) const;

  // Moves the bank (and its cached norms) to a device.
  void to(const at::Device &device);

  // Searches through an approximate index from now on (built here from the bank); an exact spec
  // returns to the exact search. Throws lsfa::Error when the index cannot be built (no FAISS).
  // The candidates the index returns get the same exact distances as the exact search.
  void use_index(const BankIndexSpec &spec);
  BankIndexSpec index_spec() const;  // resolved settings, kind exact without an index

 private:
  NeighbourResult approximate_knn(const at::Tensor &queries, int64_t k,
                                  const SearchOptions &options) const;

  at::Tensor features_;  // [M,D] storage dtype
  at::Tensor sq_norms_;  // [M] float32, squared norms of the stored (rounded) vectors
  std::shared_ptr<const ApproximateIndex> index_;  // empty: exact search
};

}  // namespace lsfa
