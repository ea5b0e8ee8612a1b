// lsfa bench: per-stage timings of one frame with FLOP counts and throughput as a ratio to an sgemm
// measured in the same run (these machines are noisy: ratios from one run are what to compare).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/sgemm_reference.h"
#include "cli_common.h"
#include "commands.h"
#include "lsfa/backbones/point_groups.h"
#include "lsfa/backbones/presets.h"
#include "lsfa/core/device.h"
#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/data/synth.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/model/adaptor.h"
#include "lsfa/model/coreset.h"
#include "lsfa/model/memory_bank.h"
#include "lsfa/model/model_builder.h"
#include "lsfa/model/projection.h"
#include "lsfa/model/scoring.h"
#include "lsfa/preprocess/preprocess.h"
#include "progress.h"

namespace lsfa::cli {
namespace {

struct BenchArgs {
  std::string preset = "paper";
  int threads = 2;
  int repeats = 3;
  int width = 800, height = 800;
  std::string banks = "5000,20000";
  std::string json_out;
  uint64_t seed = 0;
  std::string coreset;  // "N:M[:D]": time only the coreset of N random patches down to M
  std::string device = "cpu";
  std::string precision = "fp32";
  int batch = 1;       // frames per ViT forward in the batched stage
  std::string search;  // "M:Q[:D]": time only the bank search of Q queries in M entries
};

struct StageResult {
  std::string name;
  double seconds = 0;
  double gflop = 0;  // 0 when the stage is not FLOP-bound (reported as n/a)
};

// Waits for the work queued on `device` (a no-op on the CPU): a tiny tensor read back after the
// work is queued on the same stream, so reading it waits for everything before it.
at::Device bench_device = at::kCPU;
void wait_for_device() {
  if (!bench_device.is_cpu())
    (void)at::zeros({1}, at::TensorOptions().device(bench_device)).item<float>();
}

double time_best(int repeats, const std::function<void()> &fn) {
  fn();  // warm-up: first-touch allocations and lazy initialisation are not what we measure
  wait_for_device();
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    wait_for_device();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// FLOPs of `depth` pre-norm Transformer blocks over n tokens of width c with MLP width h.
double transformer_flops(int64_t n, int64_t c, int64_t h, int64_t depth) {
  const double nn = static_cast<double>(n), cc = static_cast<double>(c),
               hh = static_cast<double>(h);
  const double per_block = 2 * nn * cc * 3 * cc     // qkv
                           + 2 * 2 * nn * nn * cc   // scores and weighted values
                           + 2 * nn * cc * cc       // output projection
                           + 2 * 2 * nn * cc * hh;  // MLP
  return per_block * static_cast<double>(depth);
}

std::vector<int64_t> parse_sizes(const std::string &s) {
  std::vector<int64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      out.push_back(std::stoll(item));
    } catch (const std::exception &) {
      throw Error("--banks: '" + item + "' is not a number");
    }
    require(out.back() >= 3, "--banks: bank sizes must be at least 3");
  }
  require(!out.empty(), "--banks: no sizes given");
  return out;
}

// CPU seconds of the process so far, all threads (user + system): on a shared machine a better
// measure of the work than wall time.
double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double peak_rss_mb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

struct CoresetBenchSize {
  int64_t n = 0, m = 0, d = 1152;
};

// "N:M[:D]" of --coreset (and "M:Q[:D]" of --search, named by `option`).
CoresetBenchSize parse_coreset_size(const std::string &s, const std::string &option = "--coreset") {
  CoresetBenchSize c;
  std::vector<int64_t> parts;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ':')) {
    try {
      size_t used = 0;
      parts.push_back(std::stoll(item, &used));
      require(used == item.size(), "");
    } catch (const std::exception &) {
      throw Error(option + ": '" + item + "' is not a number");
    }
  }
  require(parts.size() == 2 || parts.size() == 3, option + ": expected N:M or N:M:D");
  c.n = parts[0];
  c.m = parts[1];
  if (parts.size() == 3) c.d = parts[2];
  require(c.n >= 1 && c.m >= 1 && c.d >= 1, option + ": need positive sizes");
  require(option != "--coreset" || c.m <= c.n, "--coreset: need 1 <= M <= N and D >= 1");
  return c;
}

// The coreset of N standard-normal patches of dimension D down to M, projected to 128 dimensions
// as `lsfa fit` does. The patches are generated chunk by chunk inside the projection (generation
// time is subtracted), so the N x D matrix never exists and the peak resident memory of the process
// (getrusage ru_maxrss; nothing else ran before) is the selection's working memory plus LibTorch.
// The same selection on a CUDA device (the kernel of lib/cuda): patches generated and projected
// there, the selection timed alone.
int run_device_coreset_bench(const BenchArgs &a, const CoresetBenchSize &c, const at::Device &d) {
  CoresetOptions o;
  o.target_count = c.m;
  at::Tensor z = at::randn({c.n, c.d}, at::TensorOptions().device(d));
  if (o.projection_dim > 0 && o.projection_dim < c.d)
    z = at::mm(z, random_projection_matrix(c.d, o.projection_dim, o.seed).to(d));
  wait_for_device();
  const auto t0 = std::chrono::steady_clock::now();
  at::Tensor idx = greedy_coreset(z, c.m);
  wait_for_device();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("coreset %lld -> %lld on %s: %.2f s (%lld picked)\n", static_cast<long long>(c.n),
              static_cast<long long>(c.m), d.str().c_str(), s, static_cast<long long>(idx.numel()));
  if (!a.json_out.empty()) {
    nlohmann::json js = {
        {"coreset", {{"n", c.n}, {"m", c.m}, {"d", c.d}}}, {"device", d.str()}, {"seconds", s}};
    write_file_atomic(a.json_out, js.dump(2) + "\n");
  }
  return 0;
}

int run_coreset_bench(const BenchArgs &a) {
  const CoresetBenchSize c = parse_coreset_size(a.coreset);
  const at::Device device = parse_device(a.device);
  if (!device.is_cpu()) {
    bench_device = device;
    return run_device_coreset_bench(a, c, device);
  }
  at::Generator gen = at::detail::createCPUGenerator(a.seed);
  double generation_s = 0, generation_cpu = 0;
  auto rows = [&](int64_t b, int64_t e) {
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds();
    at::Tensor r = at::randn({e - b, c.d}, gen);
    generation_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    generation_cpu += cpu_seconds() - cpu0;
    return r;
  };
  CoresetOptions o;
  o.target_count = c.m;
  Progress bar("coreset", static_cast<size_t>(c.m));
  CoresetCallbacks cb;
  cb.progress = [&](int64_t picked, int64_t) { bar.update(static_cast<size_t>(picked)); };
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  at::Tensor idx = coreset_indices(c.n, c.d, rows, o, cb);
  const double cpu_s = cpu_seconds() - cpu0 - generation_cpu;
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.finish();
  std::cerr << get_threads() << " threads, " << idx.numel() << " picked, patch generation "
            << generation_s << " s (not counted); coreset CPU time " << cpu_s
            << " s (all threads)\n";
  std::printf("coreset %lld -> %lld: %.2f s, %.0f MB\n", static_cast<long long>(c.n),
              static_cast<long long>(c.m), total_s - generation_s, peak_rss_mb());
  if (!a.json_out.empty()) {
    nlohmann::json js = {{"coreset", {{"n", c.n}, {"m", c.m}, {"d", c.d}}},
                         {"threads", get_threads()},
                         {"seconds", total_s - generation_s},
                         {"cpu_seconds", cpu_s},
                         {"peak_rss_mb", peak_rss_mb()}};
    write_file_atomic(a.json_out, js.dump(2) + "\n");
  }
  return 0;
}

// float32 matrix product rate on a CUDA device (the reference the GPU stages are compared with).
double measure_device_sgemm_gflops(const at::Device &device) {
  const int64_t n = 4096;
  at::Tensor x = at::randn({n, n}, at::TensorOptions().device(device));
  at::Tensor y = at::randn({n, n}, at::TensorOptions().device(device));
  const double s = time_best(5, [&] { at::mm(x, y); });
  return 2.0 * n * n * n / s / 1e9;
}

// Relative error |x - ref| / |ref| (Frobenius norms) of a reduced-precision result.
double relative_error(const at::Tensor &x, const at::Tensor &ref) {
  at::Tensor r = ref.to(at::kCPU, at::kDouble), v = x.to(at::kCPU, at::kDouble);
  return ((v - r).norm() / r.norm().clamp_min(1e-300)).item<double>();
}

// The nearest-neighbour search of Q queries in a bank of M standard-normal entries of dimension D,
// exact and through each approximate index this build has: index build time, search time (best of
// the repeats), speed-up over the exact search and recall@1 (an entry at the exact nearest
// distance counts as found). Half of the queries are bank entries plus noise of half their spread
// (as normal test patches lie near the bank), half plain random.
int run_search_bench(const BenchArgs &a) {
  const CoresetBenchSize c = parse_coreset_size(a.search, "--search");  // M:Q[:D]
  at::manual_seed(static_cast<uint64_t>(a.seed));
  at::Tensor bank = at::randn({c.n, c.d});
  const int64_t near_count = c.m / 2;
  at::Tensor queries = at::cat({bank.index_select(0, at::randint(c.n, {near_count}, at::kLong)) +
                                    0.5 * at::randn({near_count, c.d}),
                                at::randn({c.m - near_count, c.d})});
  // Wall seconds (best of the repeats) and CPU seconds of all threads (mean per repeat): on a
  // shared machine the CPU seconds are the figure to compare.
  struct Timing {
    double wall = 0, cpu = 0;
  };
  auto timed = [&](const std::function<void()> &fn) {
    const double cpu0 = cpu_seconds();
    Timing t;
    t.wall = time_best(a.repeats, fn);
    t.cpu = (cpu_seconds() - cpu0) / (a.repeats + 1);  // time_best runs a warm-up too
    return t;
  };
  MemoryBank exact(bank);
  NeighbourResult truth;
  const Timing ex = timed([&] { truth = exact.nearest(queries); });
  std::printf("search %lld queries in %lld x %lld, %d threads\n", static_cast<long long>(c.m),
              static_cast<long long>(c.n), static_cast<long long>(c.d), get_threads());
  std::printf("  exact     search %.3f s (CPU %.3f s)\n", ex.wall, ex.cpu);
  nlohmann::json js = {{"search", {{"bank", c.n}, {"queries", c.m}, {"d", c.d}}},
                       {"threads", get_threads()},
                       {"exact", {{"seconds", ex.wall}, {"cpu_seconds", ex.cpu}}}};
  if (!approximate_index_available())
    std::printf("  (no FAISS in this build: approximate indexes not measured)\n");
  for (BankIndexKind kind : {BankIndexKind::kIvfFlat, BankIndexKind::kHnsw}) {
    if (!approximate_index_available()) break;
    MemoryBank approx(bank);
    BankIndexSpec spec;
    spec.kind = kind;
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = cpu_seconds();
    approx.use_index(spec);
    const double build_cpu = cpu_seconds() - cpu0;
    const double build_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    NeighbourResult found;
    const Timing t = timed([&] { found = approx.nearest(queries); });
    const double recall = found.distances.le(truth.distances).to(at::kDouble).mean().item<double>();
    std::printf(
        "  %-9s search %.3f s (CPU %.3f s, %.1fx less than exact), index build %.2f s (CPU %.2f "
        "s), recall@1 %.4f\n",
        to_string(kind).c_str(), t.wall, t.cpu, ex.cpu / t.cpu, build_s, build_cpu, recall);
    js[to_string(kind)] = {{"seconds", t.wall},
                           {"cpu_seconds", t.cpu},
                           {"cpu_speedup", ex.cpu / t.cpu},
                           {"build_seconds", build_s},
                           {"build_cpu_seconds", build_cpu},
                           {"recall_at_1", recall}};
  }
  if (!a.json_out.empty()) write_file_atomic(a.json_out, js.dump(2) + "\n");
  return 0;
}

int run_bench(const BenchArgs &a) {
  set_threads(a.threads);
  at::NoGradGuard no_grad;
  if (!a.coreset.empty()) return run_coreset_bench(a);
  if (!a.search.empty()) return run_search_bench(a);
  const at::Device device = parse_device(a.device);
  const Precision precision = precision_from_string(a.precision);
  bench_device = device;
  double sgemm = 0;
  if (device.is_cpu()) {
    std::cerr << "measuring sgemm with " << get_threads() << " threads...\n";
    sgemm = measure_sgemm_gflops(a.threads);
  } else {
    std::cerr << "measuring sgemm on " << device.str() << "...\n";
    sgemm = measure_device_sgemm_gflops(device);
  }
  const BackbonePreset &preset = backbone_preset(a.preset);
  BackboneOptions bo;
  bo.seed = a.seed;
  bo.device = device;
  Backbones bb = build_backbones(a.preset, bo);
  const VitConfig &vc = bb.rgb.config();
  const PointMaeConfig &pc = bb.points.config();

  SynthScene scene = make_synth_scene(synth_categories().front(), a.width, a.height, a.seed);
  SynthFrame frame = render_synth_scene(scene);
  Sample sample;
  sample.rgb = frame.rgb;
  sample.xyz = frame.xyz;

  std::vector<StageResult> stages;
  Preprocessed pre;
  stages.push_back(
      {"preprocessing (" + std::to_string(a.width) + "x" + std::to_string(a.height) + ")",
       time_best(a.repeats, [&] { pre = preprocess(sample); }), 0});

  // The frame crosses to the device once; every stage below runs there.
  pre.rgb = pre.rgb.to(device);
  pre.xyz = pre.xyz.to(device);
  const int64_t s = preset.image_size, grid_side = s / vc.patch, n_tok = grid_side * grid_side + 1;
  at::Tensor image = pre.rgb.unsqueeze(0);
  at::Tensor tokens;
  const double vit_flops = 2.0 * (n_tok - 1) * vc.dim * 3 * vc.patch * vc.patch +
                           transformer_flops(n_tok, vc.dim, vc.mlp_hidden, vc.depth);
  // The error of the reduced precision against float32, on the same frame (not timed).
  nlohmann::json precision_error;
  if (precision != Precision::kFp32) {
    at::Tensor ref = bb.rgb.forward(image);
    PointGroups gr =
        group_points(pre.xyz, bb.points.config().groups, bb.points.config().group_size);
    at::Tensor pref = bb.points.encode_groups(gr.neighborhoods, gr.centers);
    const PrecisionScope scope(precision, device);
    precision_error = {
        {"vit_tokens", relative_error(bb.rgb.forward(image), ref)},
        {"point_features",
         relative_error(bb.points.encode_groups(gr.neighborhoods, gr.centers), pref)}};
  }
  const PrecisionScope scope(precision, device);
  stages.push_back({"ViT forward", time_best(a.repeats, [&] { tokens = bb.rgb.forward(image); }),
                    vit_flops / 1e9});
  if (a.batch > 1) {
    at::Tensor batch = image.expand({a.batch, -1, -1, -1}).contiguous();
    const double t = time_best(a.repeats, [&] { bb.rgb.forward(batch); });
    stages.push_back({"ViT forward, batch " + std::to_string(a.batch) + " (per frame)", t / a.batch,
                      vit_flops / 1e9});
  }

  PointGroups groups;
  const int64_t n_valid = pre.valid.sum().item<int64_t>();
  stages.push_back(
      {"point grouping (FPS + kNN, " + std::to_string(n_valid) + " points)",
       time_best(a.repeats, [&] { groups = group_points(pre.xyz, pc.groups, pc.group_size); }), 0});
  const int64_t g = groups.centers.size(0), k = pc.group_size;
  at::Tensor group_tok;
  // As implemented: the global half of the third convolution is applied once per group, not per
  // point (W [g; l] = W_g g + W_l l).
  const double pointnet_flops =
      2.0 * g * k *
          (3.0 * pc.conv1 + pc.conv1 * pc.conv2 + 1.0 * pc.conv2 * pc.conv3 + pc.conv3 * pc.dim) +
      2.0 * g * pc.conv2 * pc.conv3;
  stages.push_back(
      {"mini-PointNet",
       time_best(a.repeats, [&] { group_tok = bb.points.group_tokens(groups.neighborhoods); }),
       pointnet_flops / 1e9});
  at::Tensor point_feats;
  const double pt_flops = transformer_flops(g, pc.dim, pc.mlp_hidden, pc.depth) +
                          2.0 * g * (3.0 * pc.pos_hidden + pc.pos_hidden * pc.dim);
  stages.push_back(
      {"point transformer",
       time_best(a.repeats,
                 [&] { point_feats = bb.points.encode_tokens(group_tok, groups.centers); }),
       pt_flops / 1e9});

  at::Tensor pt_patches, rgb_patches;
  const int64_t tok_h = tokens.size(2), tok_w = tokens.size(3);
  const double proj_flops =
      static_cast<double>(n_valid) * g * 8.0 + 2.0 * n_valid * 3.0 * point_feats.size(1);
  stages.push_back({"projection to 56x56 (3D + RGB)",
                    time_best(a.repeats,
                              [&] {
                                // As the scorer does: patch rows, the layout the banks search.
                                pt_patches = project_groups_to_patches(pre.xyz, groups.centers,
                                                                       point_feats, 56);
                                rgb_patches = rgb_tokens_to_patches(
                                    tokens.squeeze(0).reshape({vc.dim, -1}).t(), tok_h, tok_w, 56);
                              }),
                    proj_flops / 1e9});

  Adaptor rgb_ad(default_adaptor_config(vc.dim), 1),
      pt_ad(default_adaptor_config(point_feats.size(1)), 2);
  // A trained adaptor is not the identity: perturb the zero output projections so forward() runs.
  for (Adaptor *ad : {&rgb_ad, &pt_ad}) {
    StateDict sd;
    ad->save(sd, "");
    for (auto &kv : sd) kv.second = kv.second + 0.01;
    *ad = Adaptor::load(sd, "", ad->config());
    ad->to(device);
  }
  at::Tensor rgb_native = tokens.squeeze(0).reshape({vc.dim, -1}).t().contiguous();
  const double ad_flops = (transformer_flops(rgb_native.size(0), vc.dim, 2 * vc.dim, 1) +
                           transformer_flops(g, point_feats.size(1), 2 * point_feats.size(1), 1));
  stages.push_back({"adaptors (RGB + 3D)",
                    time_best(a.repeats,
                              [&] {
                                rgb_ad.forward(rgb_native);
                                pt_ad.forward(point_feats);
                              }),
                    ad_flops / 1e9});

  double last_scoring_s = 0;
  int64_t last_bank = 0;
  const at::ScalarType bank_dtype = precision == Precision::kBf16 ? at::kHalf : at::kFloat;
  for (int64_t m : parse_sizes(a.banks)) {
    MemoryBank rb(at::randn({m, vc.dim}), bank_dtype),
        pb(at::randn({m, pt_patches.size(1)}), bank_dtype);
    rb.to(device);
    pb.to(device);
    const double flops = 2.0 * rgb_patches.size(0) * m * (vc.dim + pt_patches.size(1));
    last_scoring_s = time_best(a.repeats, [&] {
      score_modality(rb, rgb_patches);
      score_modality(pb, pt_patches);
    });
    last_bank = m;
    stages.push_back(
        {"scoring, bank " + std::to_string(m) + " per modality", last_scoring_s, flops / 1e9});
  }

  double frame_s = 0, frame_gflop = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].name.rfind("scoring", 0) == 0) continue;
    if (stages[i].name.rfind("ViT forward, batch", 0) == 0) continue;
    frame_s += stages[i].seconds;
    frame_gflop += stages[i].gflop;
  }
  frame_s += last_scoring_s;
  if (!stages.empty() && stages.back().name.rfind("scoring", 0) == 0)
    frame_gflop += stages.back().gflop;
  // The frame's compute bound: all its FLOPs at the same-run sgemm rate. The ratio says how far
  // the whole frame (element-wise steps, point grouping and projection included) is from it.
  const double bound_s = frame_gflop / sgemm;

  std::printf(
      "lsfa bench: preset %s, device %s, precision %s, %d threads, sgemm %.1f GFLOP/s "
      "(same run, same device)\n",
      a.preset.c_str(), device.str().c_str(), a.precision.c_str(), get_threads(), sgemm);
  std::printf("%-46s %10s %9s %9s %8s\n", "stage", "ms", "GFLOP", "GFLOP/s", "/sgemm");
  nlohmann::json js = {{"preset", a.preset},
                       {"device", device.str()},
                       {"precision", a.precision},
                       {"threads", get_threads()},
                       {"sgemm_gflops", sgemm}};
  if (!precision_error.is_null()) {
    js["error_vs_fp32"] = precision_error;
    std::printf("relative error vs fp32: ViT tokens %.2e, point features %.2e\n",
                precision_error["vit_tokens"].get<double>(),
                precision_error["point_features"].get<double>());
  }
  for (const StageResult &st : stages) {
    const double rate = st.gflop > 0 ? st.gflop / st.seconds : 0;
    if (st.gflop > 0)
      std::printf("%-46s %10.1f %9.2f %9.1f %7.0f%%\n", st.name.c_str(), st.seconds * 1e3, st.gflop,
                  rate, 100 * rate / sgemm);
    else
      std::printf("%-46s %10.1f %9s %9s %8s\n", st.name.c_str(), st.seconds * 1e3, "n/a", "n/a",
                  "n/a");
    js["stages"].push_back({{"name", st.name},
                            {"seconds", st.seconds},
                            {"gflop", st.gflop},
                            {"ratio_to_sgemm", st.gflop > 0 ? rate / sgemm : 0.0}});
  }
  std::printf("%-46s %10.1f  (%.2f frames/s; bank %lld per modality)\n",
              "whole frame (sum of stages)", frame_s * 1e3, 1.0 / frame_s,
              static_cast<long long>(last_bank));
  std::printf("%-46s %10.1f  (the frame takes %.2fx its compute bound)\n",
              "compute bound (frame GFLOP at sgemm rate)", bound_s * 1e3, frame_s / bound_s);
  std::printf("peak resident memory: %.0f MB\n", peak_rss_mb());
  js["frame_seconds"] = frame_s;
  js["frame_gflop"] = frame_gflop;
  js["frame_bound_ratio"] = frame_s / bound_s;
  js["peak_rss_mb"] = peak_rss_mb();
  if (!a.json_out.empty()) write_file_atomic(a.json_out, js.dump(2) + "\n");
  return 0;
}

void register_bench(CLI::App &app) {
  auto *cmd = app.add_subcommand("bench", "Per-stage timings of one frame versus same-run sgemm");
  auto a = std::make_shared<BenchArgs>();
  cmd->add_option("--preset", a->preset, "Backbone preset")->capture_default_str();
  cmd->add_option("--threads", a->threads, "LibTorch threads")->capture_default_str();
  cmd->add_option("--repeats", a->repeats, "Timed repetitions per stage (best is kept)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--width", a->width, "Frame width")->capture_default_str();
  cmd->add_option("--height", a->height, "Frame height")->capture_default_str();
  cmd->add_option("--banks", a->banks, "Memory bank sizes per modality, comma separated")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the random weights and the synthetic frame");
  cmd->add_option("--json", a->json_out, "Also write the results as JSON");
  cmd->add_option("--device", a->device, "Device of every stage: cpu, cuda:0, ...")
      ->capture_default_str();
  cmd->add_option("--precision", a->precision,
                  "fp32, tf32 or bf16 (bf16: bfloat16 autocast backbones and adaptors, float16 "
                  "banks; the error against fp32 is printed)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--batch", a->batch, "Also time the ViT on this many frames in one forward")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--coreset", a->coreset,
                  "N:M[:D]: only time the coreset of N random D-dim patches (D 1152) down to M");
  cmd->add_option("--search", a->search,
                  "M:Q[:D]: only time the search of Q queries in a bank of M random D-dim entries "
                  "(D 1152), exact and with the FAISS indexes, with recall@1");
  set_runner(cmd, [a]() { return run_bench(*a); });
}

LSFA_REGISTER_COMMAND(register_bench);

}  // namespace
}  // namespace lsfa::cli
