// Throughput references for `lsfa bench`: the machine's single-precision matrix product speed, and
// the memory-bank search speed measured the same way, so their ratio is meaningful.
#pragma once

#include <cstdint>

namespace lsfa {

// Best GFLOP/s of at::mm on square float32 matrices of side 1024, 1536 and 2048 (best of 3 runs
// each after a warm-up), with `threads` intra-op threads (<= 0: all cores). Restores the previous
// thread count.
double measure_sgemm_gflops(int threads);

// Effective GFLOP/s (2 * queries * bank * dim / seconds, best of `repeats`) of an exact 1-NN search
// of random queries in a random float32 memory bank, with `threads` threads.
double measure_nearest_gflops(int threads, int64_t queries = 3136, int64_t bank = 20000,
                              int64_t dim = 768, int repeats = 3);

}  // namespace lsfa
