// Evaluation of anomaly maps per category and the report files: a results table (I-AUROC, P-AUROC,
// AUPRO@0.3, AUPRO@0.01 and counts, with a mean row) as text, JSON and Markdown, ROC and PRO curve
// plots (PNG), a per-sample scores CSV, and an image grid of the highest and lowest scoring
// samples. Used by `lsfa eval-maps` and `lsfa eval`.
#pragma once

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "lsfa/data/mvtec_dataset.h"
#include "lsfa/eval/metrics.h"

namespace lsfa {

// One evaluated test sample.
struct SampleResult {
  std::string category;
  std::string defect;    // "good" or the defect type
  std::string id;        // sample name, e.g. "000"
  std::string path;      // how the scores CSV names the sample (e.g. "bagel/test/crack/000.tiff")
  std::string rgb_path;  // optional: the RGB image, for the sample grid
  std::string heatmap;   // optional: the sample's heatmap figure, relative to the report's folder
  float score = 0.0f;    // image anomaly score
  cv::Mat map;           // CV_32FC1 anomaly map at evaluation resolution (224 x 224)
  cv::Mat gt;            // CV_8UC1 ground truth of the same size, > 0 = defect

  bool is_defect() const { return defect != "good"; }
};

// A result naming the test sample `entry` of `category` (category, defect, id, path, rgb_path);
// score, map and gt still to be filled.
SampleResult sample_result_for(const DatasetEntry &entry, const std::string &category);

struct CategoryMetrics {
  std::string category;  // "mean" for the mean row
  size_t n_images = 0, n_good = 0, n_defect = 0;
  size_t n_regions = 0;  // 8-connected ground-truth regions (AUPRO)
  double image_auroc = 0.0;
  double pixel_auroc = 0.0;
  double aupro_0_3 = 0.0;   // AUPRO@0.3
  double aupro_0_01 = 0.0;  // AUPRO@0.01
  // Curves for plots: image ROC (full), pixel ROC (decimated to at most 1000 points), PRO (full).
  Curve image_roc, pixel_roc, pro;
};

// All metrics of one category's test samples (all of the same category). Throws lsfa::Error naming
// the category when a metric is undefined (no good or no defective image, no defect region) or a
// map and its mask do not match.
CategoryMetrics evaluate_category(const std::vector<SampleResult> &samples);

// The mean row: metrics averaged over the categories (as the paper's tables), counts summed.
CategoryMetrics mean_metrics(const std::vector<CategoryMetrics> &categories);

// A fixed-width text table, one row per category and a mean row (when more than one category).
std::string format_table(const std::vector<CategoryMetrics> &categories);

// The report as JSON: {"categories": [...], "mean": {...}, "curves": {...}, "meta": meta}.
nlohmann::json report_json(const std::vector<CategoryMetrics> &categories,
                           const nlohmann::json &meta);

// The results table as a Markdown document: title, table with the mean row, and, when `prefix` is
// given, links to the companion files of write_report and to the REPORT.grid_<category>.png files
// that exist (by file name, so the folder can move); when some of `samples` have a heatmap, a
// table of those samples (highest score first) with label, score and a link to the figure.
std::string report_markdown(const std::vector<CategoryMetrics> &categories,
                            const std::string &title, const std::string &prefix = "",
                            const std::vector<SampleResult> &samples = {});

// One object per sample: {"path", "defect", "label" (0 good, 1 defect), "score"} and "heatmap"
// when the sample has one.
nlohmann::json samples_json(const std::vector<SampleResult> &samples);

// CSV with header "path,defect,label,score" (label 0 = good, 1 = defect), one row per sample.
std::string scores_csv(const std::vector<SampleResult> &samples);

// Curve plots, 8-bit BGR images: ROC (FPR vs TPR) of image scores or of pixels, PRO (FPR vs PRO,
// x axis up to fpr_limit), one coloured curve per category with a legend giving its area.
enum class CurveKind { kImageRoc, kPixelRoc, kPro };
cv::Mat plot_curves(const std::vector<CategoryMetrics> &categories, CurveKind kind,
                    double fpr_limit = 1.0);

// A grid of the `per_side` highest and lowest scoring samples (rows), each shown as RGB (when
// rgb_path is readable, else grey), map heatmap over it (normalised by the category's map range)
// and the ground-truth contour. Samples need map and gt.
cv::Mat sample_grid(const std::vector<SampleResult> &samples, int per_side = 4);

// Names of the report files derived from a prefix REPORT: REPORT.json, REPORT.md,
// REPORT.scores.csv, REPORT.image_roc.png, REPORT.pixel_roc.png, REPORT.pro.png and
// REPORT.grid_<category>.png.
struct ReportFiles {
  std::string prefix;
  std::string json() const { return prefix + ".json"; }
  std::string markdown() const { return prefix + ".md"; }
  std::string scores_csv() const { return prefix + ".scores.csv"; }
  std::string image_roc_png() const { return prefix + ".image_roc.png"; }
  std::string pixel_roc_png() const { return prefix + ".pixel_roc.png"; }
  std::string pro_png() const { return prefix + ".pro.png"; }
  std::string grid_png(const std::string &category) const {
    return prefix + ".grid_" + category + ".png";
  }
};

// Writes REPORT.json (with the samples_json array under "samples"), REPORT.md, REPORT.scores.csv,
// REPORT.image_roc.png, REPORT.pixel_roc.png and REPORT.pro.png (PRO up to FPR 0.3) atomically;
// maps in `samples` are not needed. meta goes into the JSON as is; a string meta["title"] titles
// the Markdown; the keys of the object `extra` are added at the top level of the JSON (e.g. a
// second protocol's numbers). Throws lsfa::Error naming a file that cannot be written.
void write_report(const std::string &prefix, const std::vector<CategoryMetrics> &categories,
                  const std::vector<SampleResult> &samples, const nlohmann::json &meta,
                  const nlohmann::json &extra = nlohmann::json::object());

// Encodes an image as PNG and writes it atomically.
void write_png_atomic(const std::string &path, const cv::Mat &image);

}  // namespace lsfa
