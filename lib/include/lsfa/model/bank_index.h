// Nearest-neighbour search structures for memory banks. `exact` (the default) is the blocked GEMM
// search of MemoryBank; `ivf-flat` and `hnsw` are approximate FAISS indexes for very large banks
// (docs/scoring.md): faster searches that may miss the true nearest entry now and then. The kind
// and its settings are stored in the bundle; the index itself is rebuilt from the bank on load.
// FAISS is optional at build time: without it the approximate kinds are refused with an error
// that says so.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>

namespace lsfa {

enum class BankIndexKind { kExact, kIvfFlat, kHnsw };

struct BankIndexSpec {
  BankIndexKind kind = BankIndexKind::kExact;
  // ivf-flat: k-means cells and cells searched per query (0 = chosen from the bank size).
  int64_t nlist = 0, nprobe = 0;
  // hnsw: links per node, candidate list sizes while building and searching.
  int64_t hnsw_m = 0, ef_construction = 0, ef_search = 0;
  bool exact() const { return kind == BankIndexKind::kExact; }
};

std::string to_string(BankIndexKind kind);
// "exact", "ivf-flat" or "hnsw"; throws lsfa::Error naming the choices otherwise.
BankIndexKind bank_index_kind_from_string(const std::string &name);

// The settings used for a bank of `bank_size` entries: zeros replaced by the defaults
// (ivf-flat: nlist = round(sqrt(M)) clamped to [1, M/39], nprobe = ceil(nlist/8); hnsw: m = 32,
// ef_construction = 80, ef_search = 96).
BankIndexSpec resolve_index_spec(BankIndexSpec spec, int64_t bank_size);

// True when this build links FAISS (meson option `faiss`, Debian's libfaiss-dev).
bool approximate_index_available();

// An approximate index over a float32 bank [M,D] (kept by FAISS as its own copy).
class ApproximateIndex {
 public:
  // Builds the index; throws lsfa::Error when FAISS is missing or the spec is exact or invalid.
  ApproximateIndex(const at::Tensor &bank, const BankIndexSpec &spec);
  ~ApproximateIndex();
  ApproximateIndex(const ApproximateIndex &) = delete;
  ApproximateIndex &operator=(const ApproximateIndex &) = delete;

  // Bank rows of the (approximately) k nearest entries of each query row [Q,D], [Q,k] int64 in
  // ascending approximate distance; -1 where the index found fewer than k entries.
  at::Tensor search(const at::Tensor &queries, int64_t k) const;
  const BankIndexSpec &spec() const { return spec_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  BankIndexSpec spec_;
};

}  // namespace lsfa
