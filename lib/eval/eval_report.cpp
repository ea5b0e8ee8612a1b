// Per-category evaluation and the report writers (text, JSON, Markdown, CSV).
#include "lsfa/eval/eval_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "lsfa/core/error.h"
#include "lsfa/io/atomic_file.h"

namespace lsfa {

SampleResult sample_result_for(const DatasetEntry &entry, const std::string &category) {
  SampleResult s;
  s.category = category;
  s.defect = entry.defect;
  s.id = entry.id;
  s.path = category + "/test/" + entry.defect + "/" + entry.id + ".tiff";
  s.rgb_path = entry.rgb_path;
  return s;
}
namespace {

constexpr size_t kPixelRocPoints = 1000;

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

nlohmann::json curve_json(const Curve &c, const char *y_name) {
  return {{"fpr", c.x}, {y_name, c.y}};
}

nlohmann::json metrics_json(const CategoryMetrics &m) {
  return {
      {"category", m.category},       {"n_images", m.n_images},   {"n_good", m.n_good},
      {"n_defect", m.n_defect},       {"n_regions", m.n_regions}, {"image_auroc", m.image_auroc},
      {"pixel_auroc", m.pixel_auroc}, {"aupro_0_3", m.aupro_0_3}, {"aupro_0_01", m.aupro_0_01}};
}

// Quotes a CSV field when it holds a separator, quote or line break (RFC 4180).
std::string csv_field(const std::string &s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

CategoryMetrics evaluate_category(const std::vector<SampleResult> &samples) {
  if (samples.empty()) throw Error("evaluate: no samples to evaluate");
  CategoryMetrics m;
  m.category = samples.front().category;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  std::vector<cv::Mat> maps, gts;
  for (const auto &s : samples) {
    if (s.category != m.category)
      throw Error("evaluate: samples of categories '" + m.category + "' and '" + s.category +
                  "' mixed in one evaluation");
    scores.push_back(s.score);
    labels.push_back(s.is_defect() ? 1 : 0);
    maps.push_back(s.map);
    gts.push_back(s.gt);
    (s.is_defect() ? m.n_defect : m.n_good)++;
  }
  m.n_images = samples.size();
  try {
    m.image_auroc = roc_auc(scores, labels);
    m.image_roc = roc_curve(scores, labels);
    PixelRoc pr = pixel_roc(maps, gts);
    m.pixel_auroc = pr.auc;
    m.pixel_roc = decimate_curve(pr.curve, kPixelRocPoints);
    m.pro = pro_curve(maps, gts);
    m.aupro_0_3 = aupro_from_curve(m.pro, 0.3);
    m.aupro_0_01 = aupro_from_curve(m.pro, 0.01);
  } catch (const Error &e) {
    throw Error("evaluate category '" + m.category + "': " + e.what());
  }
  for (const auto &gt : gts) {
    cv::Mat labels_img;
    m.n_regions += size_t(cv::connectedComponents(gt > 0, labels_img, 8, CV_32S) - 1);
  }
  return m;
}

CategoryMetrics mean_metrics(const std::vector<CategoryMetrics> &categories) {
  CategoryMetrics mean;
  mean.category = "mean";
  if (categories.empty()) return mean;
  for (const auto &c : categories) {
    mean.n_images += c.n_images;
    mean.n_good += c.n_good;
    mean.n_defect += c.n_defect;
    mean.n_regions += c.n_regions;
    mean.image_auroc += c.image_auroc;
    mean.pixel_auroc += c.pixel_auroc;
    mean.aupro_0_3 += c.aupro_0_3;
    mean.aupro_0_01 += c.aupro_0_01;
  }
  double n = double(categories.size());
  mean.image_auroc /= n;
  mean.pixel_auroc /= n;
  mean.aupro_0_3 /= n;
  mean.aupro_0_01 /= n;
  return mean;
}

std::string format_table(const std::vector<CategoryMetrics> &categories) {
  size_t name_width = 8;
  for (const auto &c : categories) name_width = std::max(name_width, c.category.size());
  std::ostringstream out;
  char buf[256];
  auto row = [&](const CategoryMetrics &c) {
    std::snprintf(buf, sizeof buf, "%-*s %7zu %6zu %7zu %8zu %8s %8s %10s %11s\n", int(name_width),
                  c.category.c_str(), c.n_images, c.n_good, c.n_defect, c.n_regions,
                  fixed(c.image_auroc, 4).c_str(), fixed(c.pixel_auroc, 4).c_str(),
                  fixed(c.aupro_0_3, 4).c_str(), fixed(c.aupro_0_01, 4).c_str());
    out << buf;
  };
  std::snprintf(buf, sizeof buf, "%-*s %7s %6s %7s %8s %8s %8s %10s %11s\n", int(name_width),
                "category", "images", "good", "defect", "regions", "I-AUROC", "P-AUROC",
                "AUPRO@0.3", "AUPRO@0.01");
  out << buf;
  std::string rule(std::string(buf).size() - 1, '-');
  out << rule << "\n";
  for (const auto &c : categories) row(c);
  if (!categories.empty()) {
    out << rule << "\n";
    row(mean_metrics(categories));
  }
  return out.str();
}

nlohmann::json report_json(const std::vector<CategoryMetrics> &categories,
                           const nlohmann::json &meta) {
  nlohmann::json j;
  j["categories"] = nlohmann::json::array();
  nlohmann::json curves = nlohmann::json::object();
  for (const auto &c : categories) {
    j["categories"].push_back(metrics_json(c));
    curves[c.category] = {{"image_roc", curve_json(c.image_roc, "tpr")},
                          {"pixel_roc", curve_json(c.pixel_roc, "tpr")},
                          {"pro", curve_json(c.pro, "pro")}};
  }
  j["mean"] = metrics_json(mean_metrics(categories));
  j["curves"] = curves;
  j["meta"] = meta;
  return j;
}

std::string report_markdown(const std::vector<CategoryMetrics> &categories,
                            const std::string &title, const std::string &prefix,
                            const std::vector<SampleResult> &samples) {
  std::ostringstream md;
  md << "# " << title << "\n\n";
  md << "| category | images | good | defect | regions | I-AUROC | P-AUROC | AUPRO@0.3 | "
        "AUPRO@0.01 |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  auto row = [&](const CategoryMetrics &c, bool bold) {
    std::string b = bold ? "**" : "";
    md << "| " << b << c.category << b << " | " << c.n_images << " | " << c.n_good << " | "
       << c.n_defect << " | " << c.n_regions << " | " << b << fixed(c.image_auroc, 4) << b << " | "
       << b << fixed(c.pixel_auroc, 4) << b << " | " << b << fixed(c.aupro_0_3, 4) << b << " | "
       << b << fixed(c.aupro_0_01, 4) << b << " |\n";
  };
  for (const auto &c : categories) row(c, false);
  if (!categories.empty()) row(mean_metrics(categories), true);
  md << "\nI-AUROC: ROC AUC of the image scores (good = 0, defect = 1). P-AUROC: ROC AUC over all "
        "pixels at 224 x 224. AUPRO@L: area under the per-region overlap curve up to false "
        "positive rate L, divided by L. The mean row averages the categories.\n";
  if (!prefix.empty()) {
    ReportFiles files{std::filesystem::path(prefix).filename().string()};
    md << "\n## Files\n\n";
    md << "- `" << files.json() << "`: the numbers at full precision and the curves\n";
    md << "- `" << files.scores_csv() << "`: per-sample image scores\n\n";
    md << "![image ROC](" << files.image_roc_png() << ")\n";
    md << "![pixel ROC](" << files.pixel_roc_png() << ")\n";
    md << "![PRO curve](" << files.pro_png() << ")\n";
    // Sample grids are optional: link those written beside the report.
    ReportFiles full{prefix};
    std::error_code ec;
    for (const auto &c : categories)
      if (std::filesystem::is_regular_file(full.grid_png(c.category), ec))
        md << "\n### " << c.category << ": highest and lowest scoring samples\n\n![" << c.category
           << " samples](" << files.grid_png(c.category) << ")\n";
  }
  std::vector<const SampleResult *> with_heatmap;
  for (const auto &s : samples)
    if (!s.heatmap.empty()) with_heatmap.push_back(&s);
  if (!with_heatmap.empty()) {
    std::stable_sort(
        with_heatmap.begin(), with_heatmap.end(),
        [](const SampleResult *a, const SampleResult *b) { return a->score > b->score; });
    md << "\n## Per-sample heatmaps (highest score first)\n\n"
       << "| sample | label | score | heatmap |\n|---|---|---:|---|\n";
    for (const SampleResult *s : with_heatmap)
      md << "| " << s->category << "/" << s->defect << "/" << s->id << " | "
         << (s->is_defect() ? "defect" : "good") << " | " << fixed(s->score, 4) << " | ["
         << s->heatmap << "](" << s->heatmap << ") |\n";
  }
  return md.str();
}

nlohmann::json samples_json(const std::vector<SampleResult> &samples) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto &s : samples) {
    nlohmann::json j = {{"path", s.path},
                        {"defect", s.defect},
                        {"label", s.is_defect() ? 1 : 0},
                        {"score", s.score}};
    if (!s.heatmap.empty()) j["heatmap"] = s.heatmap;
    a.push_back(std::move(j));
  }
  return a;
}

std::string scores_csv(const std::vector<SampleResult> &samples) {
  std::ostringstream csv;
  csv << "path,defect,label,score\n";
  char buf[32];
  for (const auto &s : samples) {
    std::snprintf(buf, sizeof buf, "%.9g", double(s.score));  // 9 digits round-trip a float
    csv << csv_field(s.path) << "," << csv_field(s.defect) << "," << (s.is_defect() ? 1 : 0) << ","
        << buf << "\n";
  }
  return csv.str();
}

void write_png_atomic(const std::string &path, const cv::Mat &image) {
  std::vector<uchar> bytes;
  if (image.empty() || !cv::imencode(".png", image, bytes))
    throw Error("cannot encode PNG for " + path);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void write_report(const std::string &prefix, const std::vector<CategoryMetrics> &categories,
                  const std::vector<SampleResult> &samples, const nlohmann::json &meta,
                  const nlohmann::json &extra) {
  ReportFiles files{prefix};
  std::string title = "Evaluation";
  if (meta.is_object() && meta.contains("title") && meta["title"].is_string())
    title = meta["title"].get<std::string>();
  nlohmann::json report = report_json(categories, meta);
  report["samples"] = samples_json(samples);
  for (const auto &[key, value] : extra.items()) report[key] = value;
  write_file_atomic(files.json(), report.dump(2) + "\n");
  write_file_atomic(files.markdown(), report_markdown(categories, title, prefix, samples));
  write_file_atomic(files.scores_csv(), scores_csv(samples));
  write_png_atomic(files.image_roc_png(), plot_curves(categories, CurveKind::kImageRoc));
  write_png_atomic(files.pixel_roc_png(), plot_curves(categories, CurveKind::kPixelRoc));
  write_png_atomic(files.pro_png(), plot_curves(categories, CurveKind::kPro, 0.3));
}

}  // namespace lsfa
