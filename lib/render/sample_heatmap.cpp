#include "lsfa/render/sample_heatmap.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/render/colorbar.h"
#include "lsfa/render/overlay.h"
#include "lsfa/render/text_box.h"

namespace lsfa {
namespace {

// The widest label the colour bar is given room for (wider values are shrunk to fit).
const char *const kWidestLabel = "-00.00";

}  // namespace

SampleHeatmapLayout sample_heatmap_layout(cv::Size frame, const SampleHeatmapStyle &style) {
  require(frame.width > 0 && frame.height > 0, "sample heatmap: empty frame");
  SampleHeatmapLayout l;
  const int shorter = std::min(frame.width, frame.height);
  l.scale = std::max(1, (style.min_side + shorter - 1) / shorter);
  const cv::Size big(frame.width * l.scale, frame.height * l.scale);
  // A little larger than the overlay's text: a figure is looked at as a still, often scaled down.
  l.text_scale = std::max(0.45, text_scale(big));
  const TextBox caption = layout_text("Ag", {0, 0}, l.text_scale);
  const int margin = std::max(4, caption.box.height / 2);
  l.caption_height = caption.box.height + margin;
  l.frame = cv::Rect(0, l.caption_height, big.width, big.height);
  const int bar_width = std::max(10, std::min(big.width, big.height) / 24);
  const int gap = std::max(2, bar_width / 2);  // as colorbar_labels leaves it
  const int label_width = layout_text(kWidestLabel, {0, 0}, l.text_scale).box.width;
  const int bar_height = std::max(16, big.height * 4 / 5);
  l.colorbar = cv::Rect(big.width + margin + label_width + gap,
                        l.frame.y + (big.height - bar_height) / 2, bar_width, bar_height);
  l.figure = cv::Size(l.colorbar.x + bar_width + margin, l.frame.y + big.height);
  return l;
}

cv::Mat draw_sample_heatmap(const SampleHeatmapInput &in, const SampleHeatmapStyle &style) {
  require(in.rgb.type() == CV_8UC3 && !in.rgb.empty(),
          "sample heatmap: the frame must be a non-empty 8-bit RGB image");
  require(in.map.type() == CV_32FC1 && in.map.size() == in.rgb.size(),
          "sample heatmap: the anomaly map must be float32 of the frame's size");
  require(in.gt.empty() || (in.gt.type() == CV_8UC1 && in.gt.size() == in.rgb.size()),
          "sample heatmap: the ground truth must be an 8-bit mask of the frame's size");
  const SampleHeatmapLayout l = sample_heatmap_layout(in.rgb.size(), style);
  cv::Mat figure(l.figure, CV_8UC3, cv::Scalar::all(40));
  cv::Mat frame = figure(l.frame);
  cv::Mat bgr;
  cv::cvtColor(in.rgb, bgr, cv::COLOR_RGB2BGR);
  cv::resize(bgr, frame, frame.size(), 0, 0, cv::INTER_NEAREST);

  // The heatmap exactly as lsfaoverlay blends it, the map covering the whole frame.
  AnomalyOverlayInput overlay;
  overlay.map = in.map;
  overlay.map_rect = {0, 0, double(frame.cols), double(frame.rows)};
  overlay.calibrated_range = in.range;
  overlay.pixel_threshold = in.pixel_threshold;
  OverlayStyle os;
  os.colormap = style.colormap;
  os.alpha = style.alpha;
  os.range = in.range;
  os.show_border = os.show_score = os.show_contour = os.show_colorbar = false;
  draw_anomaly_overlay(frame, ChannelOrder::kBgr, overlay, os);

  if (!in.gt.empty()) {
    cv::Mat gt;
    cv::resize(in.gt > 0, gt, frame.size(), 0, 0, cv::INTER_NEAREST);
    std::vector<std::vector<cv::Point>> contours;
    // Outer borders and holes, as chains of the defect's own boundary pixels.
    cv::findContours(gt, contours, cv::RETR_LIST, cv::CHAIN_APPROX_NONE);
    const int thickness = std::max(1, std::min(frame.cols, frame.rows) / 256);
    cv::drawContours(
        frame, contours, -1,
        colour(ChannelOrder::kBgr, kGtContourRgb[0], kGtContourRgb[1], kGtContourRgb[2]),
        thickness);
  }

  if (!in.caption.empty()) {
    const int pad =
        std::max(2, (l.caption_height - layout_text("Ag", {0, 0}, l.text_scale).box.height) / 2);
    const double scale = fit_text_scale(in.caption, l.text_scale, l.figure.width - 2 * pad);
    draw_text_box(figure, ChannelOrder::kBgr, layout_text(in.caption, {pad, pad}, scale));
  }
  const ValueRange range = display_range(in.range, in.range);
  draw_colorbar(figure, ChannelOrder::kBgr, l.colorbar, style.colormap, range, in.pixel_threshold,
                l.text_scale, l.frame.x + l.frame.width + 1);
  return figure;
}

}  // namespace lsfa
