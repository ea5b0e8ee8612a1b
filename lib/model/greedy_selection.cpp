#include "greedy_selection.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "lsfa/core/error.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LSFA_CORESET_AVX2 1
#endif

namespace lsfa::detail {
namespace {

constexpr int64_t kGroup = BlockedPoints::kGroup;
constexpr int64_t kTileGroups = 16;  // 256 points (128 KiB at d = 128) per lazily updated tile
constexpr int64_t kBatch = 4;        // stale tiles updated together (spread over the threads)

// Lowers the distances `m` of the 16 points of group `g` to each of the q centres (rows of d
// floats). Per point exactly what a scalar loop does: diff = p[k] - c[k]; acc += diff * diff over
// k = 0..d-1 from acc = 0, then m = acc < m ? acc : m.
void update_group_scalar(const float *g, int64_t d, const float *centres, int64_t q, float *m) {
  for (int64_t j = 0; j < q; ++j) {
    const float *c = centres + j * d;
    for (int64_t lane = 0; lane < kGroup; ++lane) {
      float acc = 0.0f;
      for (int64_t k = 0; k < d; ++k) {
        const float diff = g[k * kGroup + lane] - c[k];
        acc += diff * diff;
      }
      if (acc < m[lane]) m[lane] = acc;
    }
  }
}

#ifdef LSFA_CORESET_AVX2
// The same with 8-lane vectors, each lane rounding like the scalar loop: diff, product and sum are
// each rounded once. Half of the differences are computed as fma(c, -1, x), which is x - c rounded
// once too, on the multiply pipes: AMD cores add on two pipes and multiply on two others, so the
// work is split evenly. The empty asm keeps each product rounded (no contraction of p * p + acc
// into one FMA). minps(acc, m) returns acc < m ? acc : m, the scalar rule.
__attribute__((target("avx2,fma"))) inline __m256 square(__m256 t) {
  __m256 p = _mm256_mul_ps(t, t);
  asm("" : "+x"(p));
  return p;
}

__attribute__((target("avx2,fma"))) void update_group_avx2(const float *g, int64_t d,
                                                           const float *centres, int64_t q,
                                                           float *m) {
  const __m256 minus_one = _mm256_set1_ps(-1.0f);
  __m256 m0 = _mm256_loadu_ps(m), m1 = _mm256_loadu_ps(m + 8);
  int64_t j = 0;
  for (; j + 4 <= q; j += 4) {
    const float *c0 = centres + j * d, *c1 = c0 + d, *c2 = c1 + d, *c3 = c2 + d;
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
           a30 = a00, a31 = a00;
    for (int64_t k = 0; k < d; ++k) {
      const __m256 x0 = _mm256_loadu_ps(g + k * kGroup), x1 = _mm256_loadu_ps(g + k * kGroup + 8);
      __m256 v = _mm256_broadcast_ss(c0 + k);
      a00 = _mm256_add_ps(a00, square(_mm256_sub_ps(x0, v)));
      a01 = _mm256_add_ps(a01, square(_mm256_fmadd_ps(v, minus_one, x1)));
      v = _mm256_broadcast_ss(c1 + k);
      a10 = _mm256_add_ps(a10, square(_mm256_sub_ps(x0, v)));
      a11 = _mm256_add_ps(a11, square(_mm256_fmadd_ps(v, minus_one, x1)));
      v = _mm256_broadcast_ss(c2 + k);
      a20 = _mm256_add_ps(a20, square(_mm256_sub_ps(x0, v)));
      a21 = _mm256_add_ps(a21, square(_mm256_fmadd_ps(v, minus_one, x1)));
      v = _mm256_broadcast_ss(c3 + k);
      a30 = _mm256_add_ps(a30, square(_mm256_sub_ps(x0, v)));
      a31 = _mm256_add_ps(a31, square(_mm256_fmadd_ps(v, minus_one, x1)));
    }
    m0 = _mm256_min_ps(a00, m0), m1 = _mm256_min_ps(a01, m1);
    m0 = _mm256_min_ps(a10, m0), m1 = _mm256_min_ps(a11, m1);
    m0 = _mm256_min_ps(a20, m0), m1 = _mm256_min_ps(a21, m1);
    m0 = _mm256_min_ps(a30, m0), m1 = _mm256_min_ps(a31, m1);
  }
  for (; j < q; ++j) {
    const float *c = centres + j * d;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    for (int64_t k = 0; k < d; ++k) {
      const __m256 v = _mm256_broadcast_ss(c + k);
      a0 = _mm256_add_ps(a0, square(_mm256_sub_ps(_mm256_loadu_ps(g + k * kGroup), v)));
      a1 = _mm256_add_ps(a1, square(_mm256_sub_ps(_mm256_loadu_ps(g + k * kGroup + 8), v)));
    }
    m0 = _mm256_min_ps(a0, m0), m1 = _mm256_min_ps(a1, m1);
  }
  _mm256_storeu_ps(m, m0);
  _mm256_storeu_ps(m + 8, m1);
}
#endif

using UpdateFn = void (*)(const float *, int64_t, const float *, int64_t, float *);

UpdateFn update_kernel() {
  // LSFA_CORESET_KERNEL=scalar forces the portable kernel (tests compare both).
  const char *forced = std::getenv("LSFA_CORESET_KERNEL");
  if (forced != nullptr && std::strcmp(forced, "scalar") == 0) return update_group_scalar;
#ifdef LSFA_CORESET_AVX2
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return update_group_avx2;
#endif
  return update_group_scalar;
}

}  // namespace

BlockedPoints::BlockedPoints(int64_t n, int64_t d)
    : n_(n), d_(d), data_(static_cast<size_t>((n + kGroup - 1) / kGroup * kGroup * d), 0.0f) {}

void BlockedPoints::set_rows(int64_t begin, const at::Tensor &rows) {
  require(rows.dim() == 2 && rows.size(1) == d_ && rows.scalar_type() == at::kFloat &&
              rows.is_contiguous() && begin >= 0 && begin + rows.size(0) <= n_,
          "coreset: bad row chunk");
  const float *src = rows.data_ptr<float>();
  for (int64_t r = 0; r < rows.size(0); ++r) {
    const int64_t i = begin + r;
    float *dst = data_.data() + (i / kGroup) * d_ * kGroup + i % kGroup;
    for (int64_t k = 0; k < d_; ++k) dst[k * kGroup] = src[r * d_ + k];
  }
}

std::vector<int64_t> greedy_select(const BlockedPoints &points, int64_t count,
                                   const CoresetCallbacks &callbacks) {
  const int64_t n = points.size(), d = points.dim();
  count = std::min(count, n);
  if (count <= 0) return {};
  const UpdateFn update = update_kernel();
  const int64_t groups = points.groups();
  const int64_t tiles = (groups + kTileGroups - 1) / kTileGroups;

  // min_d: squared distance of each point to the centres applied to its tile so far (an upper
  // bound of its distance to the chosen set). Padding lanes hold -1 and never win.
  std::vector<float> min_d(static_cast<size_t>(groups * kGroup),
                           std::numeric_limits<float>::infinity());
  std::fill(min_d.begin() + n, min_d.end(), -1.0f);
  std::vector<float> centres(static_cast<size_t>(count * d));
  std::vector<int64_t> chosen;
  chosen.reserve(static_cast<size_t>(count));
  auto choose = [&](int64_t i) {
    for (int64_t k = 0; k < d; ++k) centres[chosen.size() * d + k] = points.at(i, k);
    chosen.push_back(i);
    min_d[static_cast<size_t>(i)] = 0.0f;  // its distance to itself, whenever its tile catches up
  };
  choose(0);

  // Per tile: centres applied so far, and the maximum of min_d over its points with the first
  // index holding it. While centres are pending the maximum only bounds the true one from above
  // (distances only shrink), so a tile whose bound is below an up-to-date tile's maximum cannot
  // hold the farthest point and is left alone.
  std::vector<int64_t> applied(static_cast<size_t>(tiles), 0), arg(static_cast<size_t>(tiles), 0);
  std::vector<float> bound(static_cast<size_t>(tiles), std::numeric_limits<float>::infinity());
  // Heap order: larger bound first, then lower tile index (so ties go to the first index).
  auto below = [&](int64_t a, int64_t b) {
    return bound[a] < bound[b] || (bound[a] == bound[b] && a > b);
  };
  std::vector<int64_t> heap(static_cast<size_t>(tiles));
  for (int64_t t = 0; t < tiles; ++t) heap[t] = t;
  std::make_heap(heap.begin(), heap.end(), below);

  std::vector<int64_t> batch;
  std::vector<std::pair<int64_t, int64_t>> items;  // (tile, group)
  auto catch_up = [&]() {
    const int64_t now = static_cast<int64_t>(chosen.size());
    items.clear();
    double work = 0;
    for (int64_t t : batch) {
      const int64_t g1 = std::min(groups, (t + 1) * kTileGroups);
      for (int64_t g = t * kTileGroups; g < g1; ++g) items.emplace_back(t, g);
      work += static_cast<double>((g1 - t * kTileGroups) * (now - applied[t]));
    }
    auto run = [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const auto [t, g] = items[static_cast<size_t>(i)];
        update(points.group(g), d, centres.data() + applied[t] * d, now - applied[t],
               min_d.data() + g * kGroup);
      }
    };
    // Below ~0.1 ms of work a thread hand-off costs more than it saves.
    if (work * kGroup * static_cast<double>(d) < 1e6)
      run(0, static_cast<int64_t>(items.size()));
    else
      at::parallel_for(0, static_cast<int64_t>(items.size()), 1, run);
    for (int64_t t : batch) {
      const int64_t lo = t * kTileGroups * kGroup, hi = std::min(n, lo + kTileGroups * kGroup);
      float best = -1.0f;
      int64_t at_best = lo;
      for (int64_t i = lo; i < hi; ++i)
        if (min_d[static_cast<size_t>(i)] > best) best = min_d[static_cast<size_t>(i)], at_best = i;
      bound[t] = best;
      arg[t] = at_best;
      applied[t] = now;
    }
  };

  const int64_t stride = std::max<int64_t>(1, count / 1000);
  while (static_cast<int64_t>(chosen.size()) < count) {
    // Bring the tiles at the top of the heap up to date until the top one is: its maximum is then
    // the global maximum, and its first index the first index holding it.
    while (applied[heap.front()] != static_cast<int64_t>(chosen.size())) {
      batch.clear();
      while (!heap.empty() && static_cast<int64_t>(batch.size()) < kBatch &&
             applied[heap.front()] != static_cast<int64_t>(chosen.size())) {
        std::pop_heap(heap.begin(), heap.end(), below);
        batch.push_back(heap.back());
        heap.pop_back();
      }
      catch_up();
      for (int64_t t : batch) {
        heap.push_back(t);
        std::push_heap(heap.begin(), heap.end(), below);
      }
    }
    const int64_t top = heap.front();
    if (bound[top] <= 0.0f) break;  // every point is already covered
    choose(arg[top]);
    const auto picked = static_cast<int64_t>(chosen.size());
    if (picked % stride == 0) {
      if (callbacks.cancelled && callbacks.cancelled()) throw Error("coreset: cancelled");
      if (callbacks.progress && picked < count) callbacks.progress(picked, count);
    }
  }
  if (callbacks.progress) callbacks.progress(static_cast<int64_t>(chosen.size()), count);
  return chosen;
}

}  // namespace lsfa::detail
