#include "lsfa/model/model_builder.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>

#include "lsfa/core/error.h"
#include "lsfa/model/hold_out.h"
#include "lsfa/model/scorer.h"

namespace lsfa {
namespace {}  // namespace

AdaptorConfig default_adaptor_config(int64_t dim) {
  AdaptorConfig c;
  c.dim = dim;
  c.heads = 0;
  c.mlp_ratio = 2;
  return c;
}

ModelBundle build_bundle(const ExtractorConfig &config, const std::string &identity,
                         const std::vector<SampleFeatures> &train,
                         const std::vector<SampleFeatures> &held_out, const Adaptor &rgb_adaptor,
                         const Adaptor &point_adaptor, const BuildOptions &options,
                         const BuildProgress &progress, const std::atomic<bool> *stop) {
  require(!train.empty(), "no training samples to build the memory banks from");
  require_calibration_samples(held_out.size(), "the held-out set");
  at::NoGradGuard no_grad;
  ModelBundle b;
  b.extractor = config;
  // Where the checkpoints are, so the bundle alone sets up its extractor later (their sha256 is in
  // the identity); only those of the modalities used.
  auto where = [](const std::string &path) {
    return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
  };
  b.extractor.rgb_weights = uses_rgb(config.modalities) ? where(config.rgb_weights) : "";
  b.extractor.point_weights = uses_points(config.modalities) ? where(config.point_weights) : "";
  b.extractor_identity = identity;
  b.method = options.method;
  b.training_json = options.training_json;
  b.created = utc_now_iso8601();
  b.bank_fp16 = options.bank_fp16;
  b.bank_index = options.bank_index;
  // Before minutes of work, not after them.
  require(options.bank_index.exact() || approximate_index_available(),
          "the memory bank index '" + to_string(options.bank_index.kind) +
              "' needs FAISS, and this build of lsfa has none: install libfaiss-dev "
              "(tools/setup-deps.sh) and rebuild, or use the exact index");

  auto check_stop = [stop] {
    if (stop != nullptr && stop->load()) throw Error("interrupted: no model bundle was built");
  };
  // The "bank" stages: every training patch of each modality, through its adaptor.
  std::vector<at::Tensor> patches(2);  // [0] rgb, [1] 3d
  for (bool rgb : {true, false}) {
    if (rgb ? !uses_rgb(config.modalities) : !uses_points(config.modalities)) continue;
    const Adaptor &adaptor = rgb ? rgb_adaptor : point_adaptor;
    const std::string stage = rgb ? "bank rgb" : "bank 3d";
    std::vector<at::Tensor> all;
    all.reserve(train.size());
    for (size_t i = 0; i < train.size(); ++i) {
      all.push_back(rgb ? rgb_grid_patches(adaptor, train[i])
                        : point_grid_patches(adaptor, train[i]));
      if (progress) progress(stage, i + 1, train.size());
      check_stop();
    }
    patches[rgb ? 0 : 1] = at::cat(all, 0);
  }

  // The "coreset" stages. The greedy selection is mostly serial (each pick needs the one before),
  // so with both modalities the 3D selection runs on a second thread while the RGB one runs on this
  // one: on two cores they take the time of the longer, not of both. Progress is still reported
  // from this thread and in order: "coreset rgb", then what is left of "coreset 3d".
  using Report = std::function<void(int64_t, int64_t)>;
  auto report = [&progress](const char *stage) -> Report {
    if (!progress) return nullptr;
    return [&progress, stage](int64_t done, int64_t total) {
      progress(stage, static_cast<size_t>(done), static_cast<size_t>(total));
    };
  };
  std::vector<at::Tensor> picked(2);
  std::atomic<bool> abandon{false};  // the other selection failed
  auto select = [&](int m, Report on_progress) {
    CoresetCallbacks cb;
    cb.progress = std::move(on_progress);
    cb.cancelled = [stop, &abandon] { return abandon.load() || (stop != nullptr && stop->load()); };
    try {
      picked[m] = coreset_indices(patches[m], options.coreset, cb);
    } catch (const Error &) {
      check_stop();  // report an interruption as such
      throw;
    }
  };
  std::atomic<int64_t> done_3d{0}, total_3d{0};
  if (patches[0].defined() && patches[1].defined() && at::get_num_threads() > 1) {
    const int threads = at::get_num_threads();
    std::future<void> points = std::async(std::launch::async, [&, threads] {
      at::set_num_threads(threads);  // OpenMP's thread count is a per-thread setting
      at::NoGradGuard no_grad_here;
      select(1, [&](int64_t done, int64_t total) {
        total_3d.store(total);
        done_3d.store(done);
      });
    });
    try {
      select(0, report("coreset rgb"));
    } catch (...) {
      abandon.store(true);  // the future's destructor then waits for the 3D selection to stop
      throw;
    }
    const Report report_3d = report("coreset 3d");
    auto show_3d = [&] {
      if (report_3d && total_3d.load() > 0) report_3d(done_3d.load(), total_3d.load());
    };
    while (points.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) show_3d();
    points.get();  // rethrows the 3D selection's error
    show_3d();
  } else {
    for (int m : {0, 1})
      if (patches[m].defined()) select(m, report(m == 0 ? "coreset rgb" : "coreset 3d"));
  }

  std::vector<MemoryBank> banks(2);
  for (int m : {0, 1}) {
    if (!patches[m].defined()) continue;
    const Adaptor &adaptor = m == 0 ? rgb_adaptor : point_adaptor;
    ModalityModel mm;
    mm.adaptor =
        adaptor.defined() ? adaptor : Adaptor(default_adaptor_config(patches[m].size(1)), 0);
    mm.bank = patches[m].index_select(0, picked[m]).contiguous();
    mm.bank_source_size = patches[m].size(0);
    patches[m] = at::Tensor();
    banks[m] = MemoryBank(mm.bank, options.bank_fp16 ? at::kHalf : at::kFloat);
    // Calibration searches as scoring will, through the same kind of index.
    banks[m].use_index(options.bank_index);
    (m == 0 ? b.rgb : b.points) = std::move(mm);
  }

  // Held-out normal samples: raw scores per modality -> statistics -> fused thresholds.
  HeldOutScores hs;
  std::vector<at::Tensor> rgb_maps, point_maps;
  for (size_t i = 0; i < held_out.size(); ++i) {
    if (b.rgb) {
      ModalityScore s = score_modality(banks[0], rgb_grid_patches(b.rgb->adaptor, held_out[i]));
      hs.rgb_image.push_back(s.image);
      rgb_maps.push_back(s.map);
    }
    if (b.points) {
      ModalityScore s =
          score_modality(banks[1], point_grid_patches(b.points->adaptor, held_out[i]));
      hs.points_image.push_back(s.image);
      point_maps.push_back(s.map);
    }
    if (progress) progress("calibration", i + 1, held_out.size());
    check_stop();
  }
  if (!rgb_maps.empty()) hs.rgb_maps = at::stack(rgb_maps);
  if (!point_maps.empty()) hs.points_maps = at::stack(point_maps);
  b.calibration = calibrate(hs, config.modalities, options.rules);
  at::Tensor fused = fuse_maps(hs.rgb_maps, hs.points_maps, b.calibration.rgb, b.calibration.points,
                               config.modalities);
  calibrate_map_range(fused, b);
  return b;
}

void calibrate_map_range(const at::Tensor &fused_maps, ModelBundle &b) {
  at::Tensor flat = fused_maps.reshape({-1}).to(at::kFloat);
  const double median = flat.median().item<double>();
  const double thr = b.calibration.pixel_threshold;
  const double half = std::max(thr - median, 1e-3);
  b.map_low = median;
  b.map_high = thr + half;
}

std::string utc_now_iso8601() {
  // SOURCE_DATE_EPOCH (reproducible-builds convention) pins the time, so the same seed and data
  // give a byte-identical bundle.
  std::time_t t = std::time(nullptr);
  if (const char *epoch = std::getenv("SOURCE_DATE_EPOCH"))
    t = static_cast<std::time_t>(std::atoll(epoch));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lsfa
