// lsfa eval: score a category's test split with a model bundle and report I-AUROC, P-AUROC,
// AUPRO@0.3 and AUPRO@0.01 (the same table and files as eval-maps), optionally writing the anomaly
// maps in the eval-maps layout and per-sample heatmap figures.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "fit_common.h"
#include "lsfa/core/error.h"
#include "lsfa/core/threads.h"
#include "lsfa/data/dataset.h"
#include "lsfa/eval/eval_maps.h"
#include "lsfa/eval/eval_report.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/output_path.h"
#include "lsfa/io/tiff_io.h"
#include "lsfa/model/bundle.h"
#include "lsfa/model/frame_map.h"
#include "lsfa/render/sample_heatmap.h"
#include "model_options.h"
#include "progress.h"

namespace lsfa::cli {
namespace {

namespace fs = std::filesystem;

struct EvalArgs {
  std::string model, data, category, out, layout = "auto";
  std::string rgb_weights, point_weights, device = "cpu", precision = "fp32";
  int threads = 0;
  bool write_maps = false;
  bool write_heatmaps = false;
  int grid = 4;
  bool allow_other_category = false;
};

// A temporary folder removed when the evaluation ends (also on an error).
class TempMapsDir {
 public:
  TempMapsDir() = default;
  TempMapsDir(const TempMapsDir &) = delete;
  TempMapsDir &operator=(const TempMapsDir &) = delete;
  ~TempMapsDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string create() {
    std::string templ = (fs::temp_directory_path() / "lsfa-eval-maps-XXXXXX").string();
    require(::mkdtemp(templ.data()) != nullptr, "cannot create a temporary folder for the maps");
    path_ = templ;
    return path_;
  }

 private:
  std::string path_;
};

std::string category_from_bundle(const ModelBundle &b) {
  try {
    auto j = nlohmann::json::parse(b.training_json);
    if (j.contains("category") && j["category"].is_string()) return j["category"];
  } catch (const nlohmann::json::exception &) {
  }
  return {};
}

// "crack/003  score 1.52 > 1.10: ANOMALY  (label: defect)"
std::string heatmap_caption(const SampleResult &s, const AnomalyResult &r) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s/%s  score %.3f %s %.3f: %s  (label: %s)", s.defect.c_str(),
                s.id.c_str(), double(r.score), r.anomalous ? ">" : "<=", double(r.threshold),
                r.anomalous ? "ANOMALY" : "OK", s.is_defect() ? "defect" : "good");
  return buf;
}

int run_eval(const EvalArgs &a) {
  // Ctrl-C stops after the sample being scored; the report is written only after all samples.
  const std::atomic<bool> *stop = stop_on_interrupt();
  set_threads(a.threads);
  if (!a.out.empty()) prepare_output_dir(a.out);  // fail before the work, not after it
  // The backbones first: a mismatch is found before the memory banks are read.
  std::unique_ptr<FeatureExtractor> extractor = extractor_for_bundle(
      a.model, a.rgb_weights, a.point_weights, a.device, precision_from_string(a.precision));
  Scorer scorer(a.model);
  scorer.set_device(a.device, precision_from_string(a.precision));
  const ModelBundle &bundle = scorer.bundle();
  const std::string built_for = category_from_bundle(bundle);
  const std::string category = a.category.empty() ? built_for : a.category;
  require(!category.empty(), "the bundle does not name its category: pass --category");
  require(built_for.empty() || built_for == category || a.allow_other_category,
          "the model was built for category '" + built_for + "', not '" + category +
              "' (pass --allow-other-category to evaluate it on another category anyway)");

  const DatasetLayout layout =
      resolve_dataset_layout(a.data, category, parse_dataset_layout(a.layout));
  std::vector<DatasetEntry> entries = index_dataset(a.data, category, "test", layout);
  require(!entries.empty(), "no test samples in the test split of " + a.data + "/" + category);
  std::vector<SampleResult> results;
  results.reserve(entries.size());
  // Frame-resolution maps in the eval-maps layout: kept under OUT/maps with --write-maps, else in a
  // temporary folder, since the official protocol's numbers are computed from them.
  TempMapsDir temp_maps;
  const std::string maps_dir =
      a.write_maps ? (fs::path(a.out) / "maps").string() : temp_maps.create();
  std::string scores_csv = "path,score\n";
  Progress progress("eval " + category, entries.size());
  // The next sample is decoded on a second thread while this one goes through the backbones.
  auto load = [&entries](size_t i) { return load_entry(entries, i); };
  std::future<Sample> next = std::async(std::launch::async, load, size_t{0});
  for (size_t i = 0; i < entries.size(); ++i) {
    const DatasetEntry &e = entries[i];
    SampleFeatures f;
    Sample sample = next.get();
    if (i + 1 < entries.size()) next = std::async(std::launch::async, load, i + 1);
    try {
      f = extractor->extract(sample);
    } catch (const Error &err) {
      throw Error(e.rgb_path + ": " + err.what());
    }
    AnomalyResult r = scorer.score(f);
    SampleResult s = sample_result_for(e, category);
    s.score = r.score;
    s.map = tensor_to_mat(r.map);
    s.gt = f.gt.defined() ? mask_tensor_to_mat(f.gt) : cv::Mat::zeros(s.map.size(), CV_8UC1);
    const cv::Mat frame_map = model_map_to_frame(r.map, r.geometry);
    {
      fs::path p = fs::path(maps_dir) / s.path;
      fs::create_directories(p.parent_path());
      write_float_tiff(p.string(), frame_map);
      scores_csv += s.path + "," + std::to_string(r.score) + "\n";
    }
    if (a.write_heatmaps) {
      // OUT/heatmaps/<defect>/<id>.png, linked from the report by its path relative to OUT.
      s.heatmap = (fs::path("heatmaps") / s.defect / (s.id + ".png")).generic_string();
      SampleHeatmapInput h;
      h.rgb = sample.rgb;
      h.map = frame_map;
      h.gt = sample.gt;
      h.range = {scorer.map_low(), scorer.map_high()};
      h.pixel_threshold = r.pixel_threshold;
      h.caption = heatmap_caption(s, r);
      const fs::path p = fs::path(a.out) / s.heatmap;
      fs::create_directories(p.parent_path());
      write_png_atomic(p.string(), draw_sample_heatmap(h));
    }
    results.push_back(std::move(s));
    progress.update(i + 1);
    if (stop->load())
      throw Error("interrupted after " + std::to_string(i + 1) + " of " +
                  std::to_string(entries.size()) + " samples: no report was written");
  }
  progress.finish();

  std::vector<CategoryMetrics> table = {evaluate_category(results)};
  // The official MVTec 3D-AD protocol: the frame-resolution maps evaluated exactly as
  // `lsfa eval-maps` evaluates them (same files, same scores.csv, same code).
  const std::string maps_scores = (fs::path(maps_dir) / "scores.csv").string();
  write_file_atomic(maps_scores, scores_csv);
  MapEvalOptions map_options;
  map_options.dataset = a.data;
  map_options.maps = maps_dir;
  map_options.layout = layout;
  const ScoreTable written_scores = read_scores_csv(maps_scores);
  std::vector<CategoryMetrics> frame_table = {
      evaluate_category(load_map_results(map_options, category, &written_scores))};
  std::cout << "paper protocol (M3DM): metrics on the 224 x 224 model grid\n"
            << format_table(table)
            << "MVTec 3D-AD protocol: frame-resolution maps, as lsfa eval-maps evaluates them\n"
            << format_table(frame_table);
  if (!a.out.empty()) {
    fs::create_directories(a.out);
    const std::string prefix = (fs::path(a.out) / "report").string();
    nlohmann::json meta = {{"title", "lsfa eval: " + category},
                           {"model", a.model},
                           {"method", bundle.method},
                           {"backbones", bundle.extractor_identity},
                           {"data", a.data}};
    ReportFiles files{prefix};
    if (a.grid > 0) write_png_atomic(files.grid_png(category), sample_grid(results, a.grid));
    meta["protocol"] = "paper (M3DM): metrics on the 224 x 224 model grid";
    // Both protocols in report.json: the top level keeps the paper's, "mvtec_frame_resolution"
    // holds what `lsfa eval-maps` reports for the frame-resolution maps.
    const nlohmann::json official = report_json(frame_table, nlohmann::json::object());
    const nlohmann::json extra = {
        {"mvtec_frame_resolution",
         {{"protocol", "MVTec 3D-AD: frame-resolution maps as lsfa eval-maps evaluates them"},
          {"categories", official["categories"]},
          {"mean", official["mean"]}}}};
    write_report(prefix, table, results, meta, extra);
    if (a.write_maps)
      std::cout << "maps: " << maps_dir
                << " (eval-maps layout, frame resolution, with scores.csv)\n";
    if (a.write_heatmaps)
      std::cout << "heatmaps: " << (fs::path(a.out) / "heatmaps").string() << " (" << results.size()
                << " PNG, linked from " << files.markdown() << ")\n";
    std::cout << "report: " << files.json() << ", " << files.markdown() << ", "
              << files.scores_csv() << ", " << files.image_roc_png() << ", "
              << files.pixel_roc_png() << ", " << files.pro_png() << ", "
              << files.grid_png(category) << "\n";
  }
  return 0;
}

void register_eval(CLI::App &app) {
  auto *cmd = app.add_subcommand("eval", "Evaluate a model bundle on a category's test split");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("--model", a->model, "Model bundle (.lsfa)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--data", a->data, "Data set root (MVTec 3D-AD or Eyecandies layout)")
      ->required();
  add_layout_option(cmd, a->layout);
  cmd->add_option("--category", a->category, "Category (default: the bundle's)");
  cmd->add_flag("--allow-other-category", a->allow_other_category,
                "Evaluate on another category than the one the bundle was built for");
  cmd->add_option("--out", a->out,
                  "Output directory: report.{json,md,scores.csv,*_roc.png,pro.png,grid_*.png}");
  cmd->add_flag("--write-maps", a->write_maps,
                "Also write anomaly maps (float32 TIFF, frame resolution) to OUT/maps in the "
                "eval-maps layout, with OUT/maps/scores.csv");
  cmd->add_flag(
      "--write-heatmaps", a->write_heatmaps,
      "Also write one heatmap figure per sample (frame, anomaly map in the model's colour "
      "range, ground-truth contour, colour bar) to OUT/heatmaps/<defect>/<id>.png, linked "
      "from the report");
  cmd->add_option("--rgb-weights", a->rgb_weights, "DINO ViT checkpoint the model was built with")
      ->check(CLI::ExistingFile);
  cmd->add_option("--point-weights", a->point_weights,
                  "Point-MAE checkpoint the model was built with")
      ->check(CLI::ExistingFile);
  cmd->add_option("--device", a->device, "LibTorch device (cpu, cuda:0, ...)")
      ->capture_default_str();
  cmd->add_option("--precision", a->precision, "Precision: fp32, tf32 or bf16 (docs/gpu.md)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "LibTorch threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--grid", a->grid, "Samples per end in the sample grid image (0 = none)")
      ->capture_default_str();
  set_runner(cmd, [a]() {
    if (a->write_maps && a->out.empty()) throw Error("--write-maps needs --out");
    if (a->write_heatmaps && a->out.empty()) throw Error("--write-heatmaps needs --out");
    return run_eval(*a);
  });
}

LSFA_REGISTER_COMMAND(register_eval);

}  // namespace
}  // namespace lsfa::cli
