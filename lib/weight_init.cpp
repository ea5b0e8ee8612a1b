#include "lsfa/weight_init.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

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
  // Uniform in [Phi(-2), Phi(2)], mapped through the inverse normal CDF.
  const double lo = 0.5 * (1.0 + std::erf(-2.0 / std::sqrt(2.0)));
  const double hi = 0.5 * (1.0 + std::erf(2.0 / std::sqrt(2.0)));
  auto u = at::empty(shape, at::TensorOptions().dtype(at::kDouble));
  u.uniform_(2.0 * lo - 1.0, 2.0 * hi - 1.0, gen);
  auto x = u.erfinv_().mul_(std * std::sqrt(2.0)).clamp_(-2.0 * std, 2.0 * std);
  return x.to(at::kFloat).to(device);
}

at::Tensor init_constant(const std::vector<int64_t> &shape, double value, at::Device device) {
  return at::full(shape, value, at::TensorOptions().dtype(at::kFloat).device(device));
}

}  // namespace lsfa
