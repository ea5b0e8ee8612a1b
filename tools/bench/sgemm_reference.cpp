#include "bench/sgemm_reference.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>

#include "lsfa/model/memory_bank.h"
#include "lsfa/core/threads.h"

namespace lsfa {
namespace {

class ThreadScope {
 public:
  explicit ThreadScope(int threads) : previous_(get_threads()) { set_threads(threads); }
  ~ThreadScope() { set_threads(previous_); }
  ThreadScope(const ThreadScope &) = delete;
  ThreadScope &operator=(const ThreadScope &) = delete;

 private:
  int previous_;
};

template <class F>
double best_seconds(int repeats, F &&run) {
  run();  // warm-up: thread pool start, first-touch of the output
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    best = std::min(best, dt.count());
  }
  return best;
}

}  // namespace

double measure_sgemm_gflops(int threads) {
  ThreadScope scope(threads);
  // A private generator: measuring must not disturb the global random state.
  at::Generator gen = at::detail::createCPUGenerator(0);
  double best = 0.0;
  for (int64_t n : {1024, 1536, 2048}) {
    at::Tensor a = at::randn({n, n}, gen), b = at::randn({n, n}, gen), c = at::empty({n, n});
    const double s = best_seconds(3, [&] { at::mm_out(c, a, b); });
    best = std::max(best, 2.0 * static_cast<double>(n * n * n) / s * 1e-9);
  }
  return best;
}

double measure_nearest_gflops(int threads, int64_t queries, int64_t bank, int64_t dim,
                              int repeats) {
  ThreadScope scope(threads);
  at::Generator gen = at::detail::createCPUGenerator(0);
  MemoryBank b(at::randn({bank, dim}, gen));
  at::Tensor q = at::randn({queries, dim}, gen);
  const double s = best_seconds(std::max(1, repeats), [&] { b.nearest(q); });
  return 2.0 * static_cast<double>(queries) * static_cast<double>(bank) * static_cast<double>(dim) /
         s * 1e-9;
}

}  // namespace lsfa
