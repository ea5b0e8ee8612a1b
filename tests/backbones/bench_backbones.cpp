// Timing of the frozen backbones against the machine's sgemm throughput. On a shared machine the
// available CPU changes from second to second, so every forward is paired with an sgemm measurement
// taken just before it, and the reported efficiency is the best ratio over the repeats.
// Usage: bench_backbones [threads=2] [preset=paper] [repeats=3] [parts=vit,groups,pmae]
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "lsfa/backbones/point_groups.h"
#include "lsfa/backbones/presets.h"
#include "lsfa/core/threads.h"

namespace {

double time_of(const std::function<void()> &f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// sgemm GFLOP/s on the ViT-B MLP product (785 x 768 x 3072), best of 3 bursts.
double sgemm_gflops() {
  static const at::Tensor a = at::randn({785, 768}), b = at::randn({3072, 768});
  double best = 1e30;
  for (int i = 0; i < 3; ++i) best = std::min(best, time_of([] { at::mm(a, b.t()); }));
  return 2.0 * 785 * 768 * 3072 / best * 1e-9;
}

struct Result {
  double seconds = 1e30;  // best time
  double gemm = 0;        // sgemm GFLOP/s measured next to the best-ratio run
  double efficiency = 0;  // best (flop / time) / sgemm
};

Result measure(int repeats, double flop, const std::function<void()> &f) {
  f();  // warm-up
  Result r;
  for (int i = 0; i < repeats; ++i) {
    const double g = sgemm_gflops();
    const double t = time_of(f);
    r.seconds = std::min(r.seconds, t);
    const double eff = flop / t * 1e-9 / g;
    if (eff > r.efficiency) r.efficiency = eff, r.gemm = g;
  }
  return r;
}

// An object-like organized cloud: a bumpy dome inside a disc, (0,0,0) outside.
at::Tensor synthetic_cloud(int64_t s) {
  auto v = at::arange(s, at::kFloat).div(s - 1).sub(0.5).view({s, 1}).expand({s, s});
  auto u = at::arange(s, at::kFloat).div(s - 1).sub(0.5).view({1, s}).expand({s, s});
  auto r2 = (u * u) / 0.3 + (v * v) / 0.3;  // about 44k valid points at 224 x 224
  auto z = 0.6 - 0.05 * at::sqrt(at::clamp_min(1.0 - r2, 0.0)) + 0.002 * at::sin(u * 40.0);
  auto cloud = at::stack({u * 0.1, v * 0.1, z}, 2);
  return cloud * (r2 < 1.0).unsqueeze(2).to(at::kFloat);
}

double block_flop(double n, double dim, double hidden, double depth) {
  return depth * (2 * n * dim * (4.0 * dim + 2.0 * hidden) + 4 * n * n * dim);
}

}  // namespace

int main(int argc, char **argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string preset = argc > 2 ? argv[2] : "paper";
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  const std::string parts = argc > 4 ? argv[4] : "vit,groups,pmae";
  auto part = [&](const char *name) { return parts.find(name) != std::string::npos; };
  lsfa::set_threads(threads);
  at::NoGradGuard no_grad;
  std::printf("threads %d, preset %s, sgemm now %.1f GFLOP/s\n", lsfa::get_threads(),
              preset.c_str(), sgemm_gflops());

  auto backbones = lsfa::build_backbones(preset, {});
  const auto &vc = backbones.rgb.config();
  const int64_t s = vc.pos_grid * vc.patch;

  if (part("vit")) {
    auto image = at::randn({1, 3, s, s});
    const double n = (s / vc.patch) * (s / vc.patch) + 1;
    const double flop = block_flop(n, vc.dim, vc.mlp_hidden, vc.depth) +
                        2.0 * (n - 1) * vc.dim * 3 * vc.patch * vc.patch;
    auto r = measure(repeats, flop, [&] { backbones.rgb.forward(image); });
    std::printf("ViT forward: %.3f s (%.1f GFLOP), %.0f %% of sgemm (%.1f GFLOP/s) [%s]\n",
                r.seconds, flop * 1e-9, 100 * r.efficiency, r.gemm,
                backbones.rgb.description().c_str());
  }

  auto cloud = synthetic_cloud(s);
  const auto &pc = backbones.points.config();
  if (part("groups")) {
    auto pts = lsfa::valid_points(cloud);
    at::Tensor picks;
    double t = 1e30;
    for (int i = 0; i < repeats; ++i)
      t = std::min(t, time_of([&] { picks = lsfa::farthest_point_sample(pts, pc.groups); }));
    std::printf("FPS %ld of %ld points: %.1f ms\n", pc.groups, pts.size(0), t * 1e3);
    auto centers = pts.index_select(0, picks);
    t = 1e30;
    for (int i = 0; i < repeats; ++i)
      t = std::min(t, time_of([&] { lsfa::knn_indices(pts, centers, pc.group_size); }));
    std::printf("kNN %ld x %ld: %.1f ms\n", pc.groups, pc.group_size, t * 1e3);
  }

  if (part("pmae")) {
    auto groups = lsfa::group_points(cloud, pc.groups, pc.group_size);
    const double points = static_cast<double>(pc.groups) * pc.group_size;
    const double pointnet_flop =
        2.0 * points *
            (3.0 * pc.conv1 + pc.conv1 * pc.conv2 + pc.conv2 * pc.conv3 + pc.conv3 * pc.dim) +
        2.0 * pc.groups * pc.conv2 * pc.conv3;
    auto r = measure(repeats, pointnet_flop,
                     [&] { backbones.points.group_tokens(groups.neighborhoods); });
    std::printf("Point-MAE mini-PointNet: %.3f s (%.1f GFLOP), %.0f %% of sgemm (%.1f GFLOP/s)\n",
                r.seconds, pointnet_flop * 1e-9, 100 * r.efficiency, r.gemm);
    const int64_t last = *std::max_element(pc.fetch_layers.begin(), pc.fetch_layers.end());
    const double flop = pointnet_flop + block_flop(pc.groups, pc.dim, pc.mlp_hidden, last + 1);
    r = measure(repeats, flop, [&] { backbones.points.forward(cloud); });
    std::printf(
        "Point-MAE forward incl. grouping: %.3f s (%.1f GFLOP), %.0f %% of sgemm "
        "(%.1f GFLOP/s) [%s]\n",
        r.seconds, flop * 1e-9, 100 * r.efficiency, r.gemm, backbones.points.description().c_str());
  }
  return 0;
}
