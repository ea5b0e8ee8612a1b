// Work buffers the math library keeps between calls.
//
// The PyTorch builds of LibTorch link Intel MKL, whose memory manager keeps the packing buffers of
// every thread that ran a matrix product until the process ends (about 8 MB for a small model's
// threads). A long-running process that starts and stops models (an element going to NULL, a
// teach cycle on a worker thread) would see its heap step up each time new threads do that work.
// Debian's LibTorch uses OpenBLAS, which keeps nothing of the kind. lsfafeatures and lsfascore
// call release_math_buffers when they stop, and the teach worker when it ends; an application that
// drives liblsfa itself calls it where it tears a model down.
#pragma once

#include <cstdint>

namespace lsfa {

// Returns the math library's cached work buffers that no call is using to the heap (MKL's
// mkl_free_buffers; safe while other threads compute, which keep theirs). A no-op, returning false,
// when the LibTorch in use has no MKL.
bool release_math_buffers();

// Bytes the math library's memory manager holds now (MKL's mkl_mem_stat); -1 without MKL.
int64_t math_buffer_bytes();

}  // namespace lsfa
