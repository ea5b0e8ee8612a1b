// Prints the sgemm reference throughput and the exact 1-NN bank search throughput measured in the
// same run (3136 queries x 20000 bank entries x 768), and their ratio.
#include <cstdio>
#include <cstdlib>

#include "bench/sgemm_reference.h"

int main(int argc, char **argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const double sgemm = lsfa::measure_sgemm_gflops(threads);
  const double knn = lsfa::measure_nearest_gflops(threads);
  std::printf("threads %d: sgemm %.1f GFLOP/s, 1-NN search %.1f GFLOP/s, ratio %.2f\n", threads,
              sgemm, knn, knn / sgemm);
  return 0;
}
