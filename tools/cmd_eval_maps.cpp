// lsfa eval-maps: metrics of anomaly maps stored as float32 TIFF files (from this project or any
// other method), per category with the mean, as the reference evaluation computes them.
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "lsfa/core/error.h"
#include "lsfa/data/dataset.h"
#include "lsfa/eval/eval_maps.h"
#include "lsfa/eval/eval_report.h"

namespace {
namespace fs = std::filesystem;

struct EvalMapsArgs {
  std::string dataset, maps, category, out, scores, layout = "auto";
  int grid = 4;
};

int run_eval_maps(const EvalMapsArgs &args) {
  lsfa::MapEvalOptions options;
  options.dataset = args.dataset;
  options.maps = args.maps;
  options.layout = lsfa::parse_dataset_layout(args.layout);
  std::error_code ec;
  if (!fs::is_directory(args.maps, ec))
    throw lsfa::Error("maps directory " + args.maps + " does not exist");

  // Image scores: --scores FILE, else <maps>/scores.csv when present, else the map maxima.
  std::string scores_path = args.scores;
  if (scores_path.empty() && fs::is_regular_file(fs::path(args.maps) / "scores.csv", ec))
    scores_path = (fs::path(args.maps) / "scores.csv").string();
  lsfa::ScoreTable scores;
  if (!scores_path.empty()) scores = lsfa::read_scores_csv(scores_path);

  std::vector<std::string> categories;
  if (!args.category.empty())
    categories = {args.category};
  else
    categories = lsfa::list_categories(args.dataset);
  if (categories.empty()) throw lsfa::Error("data set " + args.dataset + " has no categories");

  std::string prefix = args.out;
  if (!prefix.empty()) {
    fs::path parent = fs::path(prefix).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
  }
  lsfa::ReportFiles files{prefix};

  std::vector<lsfa::CategoryMetrics> metrics;
  std::vector<lsfa::SampleResult> all_samples;
  for (const auto &category : categories) {
    auto samples =
        lsfa::load_map_results(options, category, scores_path.empty() ? nullptr : &scores);
    metrics.push_back(lsfa::evaluate_category(samples));
    if (!prefix.empty() && args.grid > 0)
      lsfa::write_png_atomic(files.grid_png(category), lsfa::sample_grid(samples, args.grid));
    for (auto &s : samples) {  // keep the scores, free the maps
      s.map.release();
      s.gt.release();
      all_samples.push_back(std::move(s));
    }
  }

  std::cout << "image scores: "
            << (scores_path.empty() ? std::string("maximum of each map") : scores_path) << "\n";
  std::cout << lsfa::format_table(metrics);
  if (!prefix.empty()) {
    nlohmann::json meta = {{"title", "lsfa eval-maps"},
                           {"command", "eval-maps"},
                           {"dataset", args.dataset},
                           {"maps", args.maps},
                           {"image_scores", scores_path.empty() ? "map-max" : scores_path},
                           {"size", options.size},
                           {"map_resize", "bilinear (cv::resize INTER_LINEAR, half-pixel centres)"},
                           {"gt_resize", "nearest, src = floor(dst * in / out), > 0 = defect"}};
    lsfa::write_report(prefix, metrics, all_samples, meta);
    std::cout << "wrote " << files.json() << ", " << files.markdown() << ", " << files.scores_csv()
              << ", " << files.image_roc_png() << ", " << files.pixel_roc_png() << ", "
              << files.pro_png();
    if (args.grid > 0) std::cout << ", " << files.grid_png("<category>");
    std::cout << "\n";
  }
  return 0;
}

void register_eval_maps(CLI::App &app) {
  auto args = std::make_shared<EvalMapsArgs>();
  CLI::App *cmd = app.add_subcommand(
      "eval-maps",
      "Evaluate anomaly maps stored as float32 TIFF files: I-AUROC, P-AUROC, AUPRO@0.3 and "
      "AUPRO@0.01 per category and their mean");
  cmd->add_option("--dataset", args->dataset, "data set root (MVTec 3D-AD or Eyecandies layout)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--layout", args->layout,
                  "data set folder layout: auto (detect), mvtec3d or eyecandies")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "mvtec3d", "eyecandies"}));
  cmd->add_option("--maps", args->maps,
                  "maps root: <category>/test/<defect>/<id>.tiff, one float32 map per test sample")
      ->required();
  cmd->add_option("--category", args->category, "evaluate only this category (default: all)");
  cmd->add_option("--out", args->out,
                  "report prefix REPORT: writes REPORT.json, REPORT.md, REPORT.scores.csv, "
                  "REPORT.{image_roc,pixel_roc,pro}.png, REPORT.grid_<category>.png");
  cmd->add_option("--scores", args->scores,
                  "CSV with columns path,score (path relative to --maps); default: "
                  "<maps>/scores.csv when present, else the maximum of each map");
  cmd->add_option("--grid", args->grid,
                  "highest and lowest scoring samples shown per category in the grid image "
                  "(0 = no grid)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  lsfa::cli::set_runner(cmd, [args]() { return run_eval_maps(*args); });
}

}  // namespace

LSFA_REGISTER_COMMAND(register_eval_maps);
