#include "lsfa/core/math_buffers.h"

#include <dlfcn.h>

namespace lsfa {
namespace {

// MKL is linked statically into libtorch_cpu and exports its service layer under the mkl_serv_
// names; a shared MKL exports the documented names. Looked up at run time, because which
// LibTorch (and so which BLAS) the process has is only known then.
void *mkl_symbol(const char *serv_name, const char *public_name) {
  void *f = dlsym(RTLD_DEFAULT, serv_name);
  return f != nullptr ? f : dlsym(RTLD_DEFAULT, public_name);
}

}  // namespace

bool release_math_buffers() {
  using FreeBuffers = void (*)();
  static const auto free_buffers =
      reinterpret_cast<FreeBuffers>(mkl_symbol("mkl_serv_free_buffers", "MKL_Free_Buffers"));
  if (free_buffers == nullptr) return false;
  free_buffers();
  return true;
}

int64_t math_buffer_bytes() {
  using MemStat = int64_t (*)(int *);
  static const auto mem_stat =
      reinterpret_cast<MemStat>(mkl_symbol("mkl_serv_mem_stat", "MKL_Mem_Stat"));
  if (mem_stat == nullptr) return -1;
  int buffers = 0;
  return mem_stat(&buffers);
}

}  // namespace lsfa
