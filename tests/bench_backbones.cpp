// Timing of the frozen backbones against the machine's sgemm throughput, measured in the same run.
// Usage: bench_backbones [threads=2] [preset=paper] [repeats=3]
#include <ATen/ATen.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lsfa/point_groups.h"
#include "lsfa/presets.h"
#include "lsfa/threads.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class F>
double best_of(int repeats, F f) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// An object-like organized cloud: a bumpy dome inside an ellipse, (0,0,0) outside.
at::Tensor synthetic_cloud(int64_t s) {
  auto v = at::arange(s, at::kFloat).div(s - 1).sub(0.5).view({s, 1}).expand({s, s});
  auto u = at::arange(s, at::kFloat).div(s - 1).sub(0.5).view({1, s}).expand({s, s});
  auto r2 = (u * u) / 0.16 + (v * v) / 0.1;
  auto z = 0.6 - 0.05 * at::sqrt(at::clamp_min(1.0 - r2, 0.0)) + 0.002 * at::sin(u * 40.0);
  auto cloud = at::stack({u * 0.1, v * 0.1, z}, 2);
  return cloud * (r2 < 1.0).unsqueeze(2).to(at::kFloat);
}

}  // namespace

int main(int argc, char **argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string preset = argc > 2 ? argv[2] : "paper";
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  lsfa::set_threads(threads);
  at::NoGradGuard no_grad;
  std::printf("threads %d, preset %s\n", lsfa::get_threads(), preset.c_str());

  {
    const int64_t m = 785, k = 768, n = 3072;  // the ViT-B MLP product
    auto a = at::randn({m, k}), b = at::randn({n, k});
    at::mm(a, b.t());
    double t = best_of(5, [&] {
      for (int i = 0; i < 10; ++i) at::mm(a, b.t());
    });
    std::printf("sgemm %ldx%ldx%ld: %.1f GFLOP/s\n", m, k, n, 10 * 2.0 * m * k * n / t * 1e-9);
    const int64_t q = 2048;
    auto c = at::randn({q, q}), d = at::randn({q, q});
    at::mm(c, d);
    t = best_of(3, [&] { at::mm(c, d); });
    std::printf("sgemm 2048^3: %.1f GFLOP/s\n", 2.0 * q * q * q / t * 1e-9);
  }

  auto backbones = lsfa::build_backbones(preset, {});
  const auto &vit = backbones.rgb;
  const int64_t s = backbones.rgb.config().pos_grid * backbones.rgb.config().patch;
  auto image = at::randn({1, 3, s, s});
  vit.forward(image);
  double t = best_of(repeats, [&] { vit.forward(image); });
  const auto &vc = vit.config();
  const double n = (s / vc.patch) * (s / vc.patch) + 1;
  const double vit_flop =
      vc.depth * (2 * n * vc.dim * (4.0 * vc.dim + 2.0 * vc.mlp_hidden) + 4 * n * n * vc.dim);
  std::printf("ViT forward (%s): %.3f s, %.1f GFLOP, %.1f GFLOP/s\n", vit.description().c_str(), t,
              vit_flop * 1e-9, vit_flop / t * 1e-9);

  auto cloud = synthetic_cloud(s);
  auto pts = lsfa::valid_points(cloud);
  const auto &pc = backbones.points.config();
  std::printf("cloud: %ld valid points\n", pts.size(0));
  at::Tensor centers_idx;
  t = best_of(repeats, [&] { centers_idx = lsfa::farthest_point_sample(pts, pc.groups); });
  std::printf("FPS %ld of %ld: %.1f ms\n", pc.groups, pts.size(0), t * 1e3);
  auto centers = pts.index_select(0, centers_idx);
  t = best_of(repeats, [&] { lsfa::knn_indices(pts, centers, pc.group_size); });
  std::printf("kNN %ld x %ld: %.1f ms\n", pc.groups, pc.group_size, t * 1e3);
  auto groups = lsfa::group_points(cloud, pc.groups, pc.group_size);
  t = best_of(repeats, [&] { backbones.points.group_tokens(groups.neighborhoods); });
  std::printf("Point-MAE mini-PointNet: %.3f s\n", t);
  t = best_of(repeats, [&] { backbones.points.forward(cloud); });
  std::printf("Point-MAE forward incl. grouping (%s): %.3f s\n",
              backbones.points.description().c_str(), t);
  return 0;
}
