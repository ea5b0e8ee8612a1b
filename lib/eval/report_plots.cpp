// Report images drawn with OpenCV: ROC / PRO curve plots and the grid of top and bottom samples.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>  // cv::IMREAD_COLOR
#include <opencv2/imgproc.hpp>

#include "lsfa/core/error.h"
#include "lsfa/eval/eval_report.h"
#include "lsfa/io/image_io.h"

namespace lsfa {
namespace {

const cv::Scalar kWhite(255, 255, 255), kBlack(0, 0, 0), kGrid(225, 225, 225);
const int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Distinct colours (BGR) for up to 12 categories, then repeating.
cv::Scalar palette(size_t i) {
  static const cv::Scalar colours[] = {{180, 119, 31},  {14, 127, 255},  {44, 160, 44},
                                       {40, 39, 214},   {189, 103, 148}, {75, 86, 140},
                                       {194, 119, 227}, {127, 127, 127}, {34, 189, 188},
                                       {207, 190, 23},  {0, 0, 128},     {0, 128, 0}};
  return colours[i % (sizeof colours / sizeof colours[0])];
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void put_centered(cv::Mat &img, const std::string &text, cv::Point centre, double scale,
                  int thickness = 1) {
  int base = 0;
  cv::Size size = cv::getTextSize(text, kFont, scale, thickness, &base);
  cv::putText(img, text, {centre.x - size.width / 2, centre.y + size.height / 2}, kFont, scale,
              kBlack, thickness, cv::LINE_AA);
}

// Text rotated 90 degrees counter-clockwise, centred at `centre` (for the y axis label).
void put_vertical(cv::Mat &img, const std::string &text, cv::Point centre, double scale) {
  int base = 0;
  cv::Size size = cv::getTextSize(text, kFont, scale, 1, &base);
  cv::Mat strip(size.height + base + 4, size.width + 4, CV_8UC3, kWhite);
  cv::putText(strip, text, {2, size.height + 2}, kFont, scale, kBlack, 1, cv::LINE_AA);
  cv::Mat rotated;
  cv::rotate(strip, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::Rect roi(centre.x - rotated.cols / 2, centre.y - rotated.rows / 2, rotated.cols,
               rotated.rows);
  roi &= cv::Rect(0, 0, img.cols, img.rows);
  rotated(cv::Rect(0, 0, roi.width, roi.height)).copyTo(img(roi));
}

}  // namespace

cv::Mat plot_curves(const std::vector<CategoryMetrics> &categories, CurveKind kind,
                    double fpr_limit) {
  if (!(fpr_limit > 0.0 && fpr_limit <= 1.0))
    throw Error("plot: FPR limit must be in (0, 1], got " + std::to_string(fpr_limit));
  const int width = 720, height = 620;
  const cv::Rect area(80, 50, width - 110, height - 130);  // plot area in pixels
  cv::Mat img(height, width, CV_8UC3, kWhite);

  std::string title, y_label;
  switch (kind) {
    case CurveKind::kImageRoc:
      title = "Image ROC (I-AUROC)";
      y_label = "true positive rate";
      break;
    case CurveKind::kPixelRoc:
      title = "Pixel ROC (P-AUROC)";
      y_label = "true positive rate";
      break;
    case CurveKind::kPro:
      title = "PRO curve (AUPRO up to FPR " + fixed(fpr_limit, fpr_limit < 0.1 ? 2 : 1) + ")";
      y_label = "per-region overlap";
      break;
  }
  auto to_px = [&](double x, double y) {
    return cv::Point2d(area.x + x / fpr_limit * area.width, area.y + (1.0 - y) * area.height);
  };

  // Grid, ticks and tick labels (5 intervals on each axis).
  for (int i = 0; i <= 5; ++i) {
    double fx = fpr_limit * i / 5.0, fy = i / 5.0;
    cv::Point px = to_px(fx, 0.0), py = to_px(0.0, fy);
    cv::line(img, {px.x, area.y}, {px.x, area.y + area.height}, kGrid, 1);
    cv::line(img, {area.x, py.y}, {area.x + area.width, py.y}, kGrid, 1);
    cv::line(img, px, {px.x, px.y + 6}, kBlack, 1);
    cv::line(img, py, {py.x - 6, py.y}, kBlack, 1);
    put_centered(img, fixed(fx, fpr_limit < 0.1 ? 3 : 2), {px.x, px.y + 18}, 0.45);
    put_centered(img, fixed(fy, 1), {py.x - 28, py.y}, 0.45);
  }
  cv::rectangle(img, area, kBlack, 1);
  put_centered(img, title, {width / 2, 25}, 0.65, 2);
  put_centered(img, "false positive rate", {area.x + area.width / 2, area.y + area.height + 45},
               0.55);
  put_vertical(img, y_label, {20, area.y + area.height / 2}, 0.55);
  if (kind != CurveKind::kPro) cv::line(img, to_px(0, 0), to_px(1, 1), kGrid, 1, cv::LINE_AA);

  // Curves, clipped to the plot area (the PRO plot stops at fpr_limit).
  cv::Mat plot = img(area);
  for (size_t i = 0; i < categories.size(); ++i) {
    const auto &c = categories[i];
    const Curve &curve = kind == CurveKind::kImageRoc   ? c.image_roc
                         : kind == CurveKind::kPixelRoc ? c.pixel_roc
                                                        : c.pro;
    std::vector<cv::Point> pts;
    auto add = [&](double x, double y) {
      cv::Point2d p = to_px(x, y);
      pts.emplace_back(int(std::lround(p.x)) - area.x, int(std::lround(p.y)) - area.y);
    };
    for (size_t k = 0; k < curve.size(); ++k) {
      if (curve.x[k] <= fpr_limit) {
        add(curve.x[k], curve.y[k]);
        continue;
      }
      if (k > 0 && curve.x[k - 1] < fpr_limit) {  // the segment that crosses the limit
        double t = (fpr_limit - curve.x[k - 1]) / (curve.x[k] - curve.x[k - 1]);
        add(fpr_limit, curve.y[k - 1] + t * (curve.y[k] - curve.y[k - 1]));
      }
      break;
    }
    if (pts.size() >= 2) cv::polylines(plot, pts, false, palette(i), 2, cv::LINE_AA);
  }

  // Legend in the lower right corner of the plot area.
  const int line_h = 20;
  int lx = area.x + area.width - 230;
  int ly = area.y + area.height - 12 - line_h * int(categories.size());
  for (size_t i = 0; i < categories.size(); ++i) {
    const auto &c = categories[i];
    double value = kind == CurveKind::kImageRoc   ? c.image_auroc
                   : kind == CurveKind::kPixelRoc ? c.pixel_auroc
                                                  : area_under_curve(c.pro, fpr_limit) / fpr_limit;
    int y = ly + line_h * int(i) + line_h / 2;
    cv::line(img, {lx, y}, {lx + 24, y}, palette(i), 3, cv::LINE_AA);
    cv::putText(img, c.category + " (" + fixed(value, 3) + ")", {lx + 32, y + 5}, kFont, 0.45,
                kBlack, 1, cv::LINE_AA);
  }
  return img;
}

cv::Mat sample_grid(const std::vector<SampleResult> &samples, int per_side) {
  if (samples.empty()) throw Error("sample grid: no samples");
  if (per_side < 1) throw Error("sample grid: per_side must be >= 1");
  for (const auto &s : samples)
    if (s.map.type() != CV_32FC1 || s.gt.type() != CV_8UC1 || s.map.size() != s.gt.size())
      throw Error("sample grid: sample " + s.path + " has no float map with a matching mask");

  // One normalisation for the whole grid, so tiles compare.
  double lo = INFINITY, hi = -INFINITY;
  for (const auto &s : samples) {
    double mn, mx;
    cv::minMaxLoc(s.map, &mn, &mx);
    lo = std::min(lo, mn);
    hi = std::max(hi, mx);
  }
  double range = hi > lo ? hi - lo : 1.0;

  std::vector<size_t> order(samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return samples[a].score > samples[b].score; });
  size_t n = std::min(size_t(per_side), samples.size());
  std::vector<size_t> top(order.begin(), order.begin() + long(n));
  std::vector<size_t> bottom(order.end() - long(n), order.end());

  const int tile = 224, caption = 22, gap = 4;
  const int tile_w = 2 * tile + gap, tile_h = tile + caption;
  cv::Mat grid(2 * tile_h + gap, int(n) * (tile_w + gap), CV_8UC3, kWhite);
  auto draw = [&](size_t idx, int row, int col) {
    const SampleResult &s = samples[idx];
    cv::Mat rgb;
    if (!s.rgb_path.empty()) {
      try {
        rgb = read_image_file(s.rgb_path, cv::IMREAD_COLOR);  // checked first, like every sample
      } catch (const Error &) {
        // The report still draws the tile, grey, when the picture cannot be read.
      }
    }
    if (rgb.empty()) rgb = cv::Mat(s.map.size(), CV_8UC3, cv::Scalar(128, 128, 128));
    cv::resize(rgb, rgb, {tile, tile}, 0, 0, cv::INTER_AREA);
    cv::Mat map, gt, heat, overlay;
    cv::resize(s.map, map, {tile, tile}, 0, 0, cv::INTER_LINEAR);
    cv::resize(s.gt, gt, {tile, tile}, 0, 0, cv::INTER_NEAREST);
    map.convertTo(heat, CV_8U, 255.0 / range, -lo * 255.0 / range);
    cv::applyColorMap(heat, heat, cv::COLORMAP_JET);
    cv::addWeighted(rgb, 0.5, heat, 0.5, 0.0, overlay);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(gt > 0, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::drawContours(overlay, contours, -1, cv::Scalar(0, 255, 0), 2);
    cv::drawContours(rgb, contours, -1, cv::Scalar(0, 255, 0), 1);
    int x = col * (tile_w + gap), y = row * (tile_h + gap);
    rgb.copyTo(grid(cv::Rect(x, y + caption, tile, tile)));
    overlay.copyTo(grid(cv::Rect(x + tile + gap, y + caption, tile, tile)));
    std::string text =
        (row == 0 ? "high " : "low ") + s.defect + "/" + s.id + "  " + fixed(double(s.score), 4);
    cv::putText(grid, text, {x + 4, y + 16}, kFont, 0.5, kBlack, 1, cv::LINE_AA);
  };
  for (size_t i = 0; i < n; ++i) draw(top[i], 0, int(i));
  for (size_t i = 0; i < n; ++i) draw(bottom[n - 1 - i], 1, int(i));
  return grid;
}

}  // namespace lsfa
