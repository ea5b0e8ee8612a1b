// Internal to the synthetic generator: counter-based random numbers. Every value is a pure function
// of (seed, coordinates), so rendering order and thread count never change the output.
#pragma once

#include <cmath>
#include <cstdint>

namespace lsfa::synth_detail {

inline uint64_t mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t hash3(uint64_t seed, int64_t i, int64_t j) {
  return mix64(seed ^ mix64(static_cast<uint64_t>(i) * 0xD1B54A32D192ED03ull ^
                            mix64(static_cast<uint64_t>(j) + 0x8CB92BA72F3D8DD7ull)));
}

inline double unit(uint64_t h) {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}  // [0,1)

// Standard normal from a hash (Box-Muller on two derived uniforms).
inline double gaussian(uint64_t h) {
  const double u1 = 1.0 - unit(mix64(h ^ 0x1234567ull));  // (0,1]
  const double u2 = unit(mix64(h ^ 0x89ABCDEull));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// Smooth value noise in [0,1] on a unit lattice.
inline double value_noise(uint64_t seed, double x, double y) {
  const double fx = std::floor(x), fy = std::floor(y);
  const int64_t i = static_cast<int64_t>(fx), j = static_cast<int64_t>(fy);
  double tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  const double v00 = unit(hash3(seed, i, j)), v10 = unit(hash3(seed, i + 1, j));
  const double v01 = unit(hash3(seed, i, j + 1)), v11 = unit(hash3(seed, i + 1, j + 1));
  return (v00 * (1 - tx) + v10 * tx) * (1 - ty) + (v01 * (1 - tx) + v11 * tx) * ty;
}

// Three octaves of value noise, in [0,1].
inline double fbm(uint64_t seed, double x, double y) {
  return (4 * value_noise(seed, x, y) + 2 * value_noise(seed + 1, 2.03 * x, 2.03 * y) +
          value_noise(seed + 2, 4.1 * x, 4.1 * y)) /
         7.0;
}

// Sequential generator for drawing scene parameters.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_++); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(next()); }
  int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

}  // namespace lsfa::synth_detail
