#include "lsfa/backbones/weight_init.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>

#include <cmath>
#include <mutex>

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
  auto *impl = gen.get<at::CPUGeneratorImpl>();
  // A serial loop over ATen's own generator and normal transform (platform-independent, unlike
  // std::normal_distribution), redrawing values outside +-2 std: exactly the truncated normal.
  // Plain C++ rather than tensor ops: tiny parallel regions are slow on a busy 2-core machine.
  std::lock_guard<std::mutex> lock(gen.mutex());
  at::normal_distribution<double> normal(0.0, std);
  auto x = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
  float *data = x.data_ptr<float>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) {
    double v = normal(impl);
    while (std::abs(v) > 2.0 * std) v = normal(impl);
    data[i] = static_cast<float>(v);
  }
  return x.to(device);
}

at::Tensor init_constant(const std::vector<int64_t> &shape, double value, at::Device device) {
  return at::full(shape, value, at::TensorOptions().dtype(at::kFloat).device(device));
}

}  // namespace lsfa
