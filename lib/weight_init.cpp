#include "lsfa/weight_init.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace lsfa {

namespace {

// FNV-1a of the key mixed with the seed through splitmix64: well spread, stable across platforms.
uint64_t tensor_seed(uint64_t seed, const std::string &key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  uint64_t z = seed + 0x9e3779b97f4a7c15ull + h;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

at::Tensor init_trunc_normal(const std::vector<int64_t> &shape, double std, uint64_t seed,
                             const std::string &key, at::Device device) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(tensor_seed(seed, key));
  // Normal draws; the ~4.6 % outside +-2 std are drawn again until none is left (rejection
  // sampling gives the truncated normal exactly and is much faster than an inverse CDF).
  auto x = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
  x.normal_(0.0, std, gen);
  auto flat = x.view({-1});
  for (;;) {
    auto outside = at::nonzero(flat.abs() > 2.0 * std).view({-1});
    if (outside.numel() == 0) break;
    auto redraw = at::empty({outside.numel()}, at::TensorOptions().dtype(at::kFloat));
    redraw.normal_(0.0, std, gen);
    flat.index_put_({outside}, redraw);
  }
  return x.to(device);
}

at::Tensor init_constant(const std::vector<int64_t> &shape, double value, at::Device device) {
  return at::full(shape, value, at::TensorOptions().dtype(at::kFloat).device(device));
}

}  // namespace lsfa
