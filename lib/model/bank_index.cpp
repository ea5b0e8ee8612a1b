#include "lsfa/model/bank_index.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "lsfa/core/error.h"

#ifdef LSFA_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#endif

namespace lsfa {

std::string to_string(BankIndexKind kind) {
  switch (kind) {
    case BankIndexKind::kExact:
      return "exact";
    case BankIndexKind::kIvfFlat:
      return "ivf-flat";
    case BankIndexKind::kHnsw:
      return "hnsw";
  }
  return "exact";
}

BankIndexKind bank_index_kind_from_string(const std::string &name) {
  if (name == "exact") return BankIndexKind::kExact;
  if (name == "ivf-flat") return BankIndexKind::kIvfFlat;
  if (name == "hnsw") return BankIndexKind::kHnsw;
  throw Error("unknown memory bank index '" + name + "' (choose exact, ivf-flat or hnsw)");
}

BankIndexSpec resolve_index_spec(BankIndexSpec s, int64_t bank_size) {
  require(bank_size > 0, "memory bank index: empty bank");
  require(
      s.nlist >= 0 && s.nprobe >= 0 && s.hnsw_m >= 0 && s.ef_construction >= 0 && s.ef_search >= 0,
      "memory bank index: settings must not be negative");
  if (s.kind == BankIndexKind::kIvfFlat) {
    // FAISS wants about 39 training points per cell; sqrt(M) cells keeps the cells and the lists
    // equally long.
    const int64_t most = std::max<int64_t>(1, bank_size / 39);
    if (s.nlist == 0)
      s.nlist =
          std::clamp<int64_t>(std::llround(std::sqrt(static_cast<double>(bank_size))), 1, most);
    if (s.nprobe == 0) s.nprobe = (s.nlist + 7) / 8;
    s.nprobe = std::min(s.nprobe, s.nlist);
  } else if (s.kind == BankIndexKind::kHnsw) {
    if (s.hnsw_m == 0) s.hnsw_m = 32;
    if (s.ef_construction == 0) s.ef_construction = 80;
    if (s.ef_search == 0) s.ef_search = 96;
  }
  return s;
}

#ifdef LSFA_HAVE_FAISS

bool approximate_index_available() {
  return true;
}

struct ApproximateIndex::Impl {
  std::unique_ptr<faiss::IndexFlatL2> quantizer;  // ivf-flat: the cell centres
  std::unique_ptr<faiss::Index> index;
};

ApproximateIndex::ApproximateIndex(const at::Tensor &bank, const BankIndexSpec &spec)
    : impl_(std::make_unique<Impl>()) {
  require(!spec.exact(), "memory bank index: the exact search needs no index");
  require(bank.dim() == 2 && bank.size(0) > 0, "memory bank index: bank must be [M,D], M > 0");
  spec_ = resolve_index_spec(spec, bank.size(0));
  at::Tensor x = bank.detach().to(at::kCPU, at::kFloat).contiguous();
  const auto n = static_cast<faiss::Index::idx_t>(x.size(0));
  const int d = static_cast<int>(x.size(1));
  try {
    if (spec_.kind == BankIndexKind::kIvfFlat) {
      impl_->quantizer = std::make_unique<faiss::IndexFlatL2>(d);
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(impl_->quantizer.get(), d,
                                                       static_cast<size_t>(spec_.nlist));
      ivf->cp.seed = 1234;  // FAISS's default, pinned: the same bank gives the same cells
      ivf->train(n, x.data_ptr<float>());
      ivf->add(n, x.data_ptr<float>());
      ivf->nprobe = static_cast<size_t>(spec_.nprobe);
      impl_->index = std::move(ivf);
    } else {
      auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(d, static_cast<int>(spec_.hnsw_m));
      hnsw->hnsw.efConstruction = static_cast<int>(spec_.ef_construction);
      hnsw->hnsw.efSearch = static_cast<int>(spec_.ef_search);
      hnsw->add(n, x.data_ptr<float>());
      impl_->index = std::move(hnsw);
    }
  } catch (const faiss::FaissException &e) {
    throw Error("memory bank index (" + to_string(spec_.kind) + "): " + e.what());
  }
}

at::Tensor ApproximateIndex::search(const at::Tensor &queries, int64_t k) const {
  require(queries.dim() == 2 && queries.size(1) == impl_->index->d,
          "memory bank index: queries must be [Q," + std::to_string(impl_->index->d) + "]");
  require(k >= 1, "memory bank index: k must be positive");
  at::Tensor q = queries.detach().to(at::kCPU, at::kFloat).contiguous();
  const int64_t nq = q.size(0);
  at::Tensor dist = at::empty({nq, k}, q.options());
  at::Tensor idx = at::empty({nq, k}, q.options().dtype(at::kLong));
  static_assert(sizeof(faiss::Index::idx_t) == sizeof(int64_t), "FAISS labels are 64-bit");
  try {
    impl_->index->search(nq, q.data_ptr<float>(), k, dist.data_ptr<float>(),
                         reinterpret_cast<faiss::Index::idx_t *>(idx.data_ptr<int64_t>()));
  } catch (const faiss::FaissException &e) {
    throw Error("memory bank index (" + to_string(spec_.kind) + ") search: " + e.what());
  }
  return idx;
}

#else  // no FAISS in this build

bool approximate_index_available() {
  return false;
}

struct ApproximateIndex::Impl {};

ApproximateIndex::ApproximateIndex(const at::Tensor &, const BankIndexSpec &spec) : spec_(spec) {
  throw Error("the memory bank index '" + to_string(spec.kind) +
              "' needs FAISS, and this build of lsfa has none: install libfaiss-dev "
              "(tools/setup-deps.sh) and rebuild, or use the exact index");
}

at::Tensor ApproximateIndex::search(const at::Tensor &, int64_t) const {
  throw Error("memory bank index: this build of lsfa has no FAISS");
}

#endif

ApproximateIndex::~ApproximateIndex() = default;

}  // namespace lsfa
