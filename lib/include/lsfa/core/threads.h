// LibTorch thread control. Debian's libtorch starts with one thread, so every entry point
// (command, element) sets the count explicitly.
#pragma once

namespace lsfa {

// Sets the intra-op thread count; n <= 0 means "all cores".
void set_threads(int n);
int get_threads();

}  // namespace lsfa
