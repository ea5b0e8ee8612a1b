#include "lsfa/core/threads.h"

#include <ATen/Parallel.h>

#include <thread>

namespace lsfa {

void set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

int get_threads() {
  return at::get_num_threads();
}

}  // namespace lsfa
