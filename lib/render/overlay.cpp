#include "lsfa/render/overlay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/render/colorbar.h"
#include "lsfa/render/text_box.h"

namespace lsfa {
namespace {

// Heatmap and contour of the map, resampled onto the frame's pixels.
void draw_map(cv::Mat &image, ChannelOrder order, const AnomalyOverlayInput &input,
              const OverlayStyle &style, ValueRange range) {
  const cv::Mat values = resample_map(input.map, input.map_rect, image.size());
  cv::Mat covered;  // 255 where the map has a value (NaN != NaN)
  cv::compare(values, values, covered, cv::CMP_EQ);

  const cv::Mat colours = apply_colormap(range_indices(values, range), style.colormap, order);
  cv::Mat blended;
  cv::addWeighted(image, 1.0 - style.alpha, colours, style.alpha, 0.0, blended);
  blended.copyTo(image, covered);

  if (!style.show_contour) return;
  cv::Mat above;  // NaN compares false: nothing outside the map rectangle
  cv::compare(values, input.pixel_threshold, above, cv::CMP_GT);
  std::vector<std::vector<cv::Point>> contours;
  // Every border (outer and holes) as the chain of its own region pixels.
  cv::findContours(above, contours, cv::RETR_LIST, cv::CHAIN_APPROX_NONE);
  const int thickness = std::max(1, std::min(image.cols, image.rows) / 360);
  cv::drawContours(image, contours, -1, colour(order, 255, 255, 255), thickness);
}

void draw_border(cv::Mat &image, ChannelOrder order, bool anomalous, int width) {
  const cv::Scalar c = anomalous ? colour(order, 255, 0, 0) : colour(order, 0, 200, 0);
  const int w = image.cols, h = image.rows;
  for (const cv::Rect &r : {cv::Rect(0, 0, w, width), cv::Rect(0, h - width, w, width),
                            cv::Rect(0, 0, width, h), cv::Rect(w - width, 0, width, h)})
    cv::rectangle(image, r, c, cv::FILLED);
}

void draw_on_three_channels(cv::Mat &image, ChannelOrder order, const AnomalyOverlayInput &input,
                            const OverlayStyle &style) {
  const ValueRange range = display_range(style.range, input.calibrated_range);
  if (!input.map.empty()) draw_map(image, order, input, style, range);
  const int border = style.show_border ? border_width(style, image.size()) : 0;
  if (style.show_border) draw_border(image, order, input.is_anomalous, border);
  if (style.show_colorbar)
    draw_colorbar(image, order, colorbar_rect(image.size(), border), style.colormap, range,
                  input.pixel_threshold);
  if (style.show_score) {
    const int inset = border + std::max(2, std::min(image.cols, image.rows) / 120);
    const std::string label = verdict_label(input);
    const double scale = fit_text_scale(label, text_scale(image.size()), image.cols - 2 * inset);
    draw_text_box(image, order, layout_text(label, {inset, inset}, scale));
  }
}

}  // namespace

std::string verdict_label(const AnomalyOverlayInput &input) {
  if (!std::isfinite(input.score) || !std::isfinite(input.threshold)) return "--";
  char buf[80];
  std::snprintf(buf, sizeof buf, "%s %.2f/%.2f", input.is_anomalous ? "ANOMALY" : "OK", input.score,
                input.threshold);
  return buf;
}

int border_width(const OverlayStyle &style, cv::Size frame) {
  const int shorter = std::min(frame.width, frame.height);
  const int width = style.border_width > 0 ? style.border_width : std::max(2, shorter / 100);
  return std::min(width, (shorter + 1) / 2);
}

void draw_anomaly_overlay(cv::Mat &frame, ChannelOrder order, const AnomalyOverlayInput &input,
                          const OverlayStyle &style) {
  require(frame.type() == CV_8UC3 || frame.type() == CV_8UC4,
          "draw_anomaly_overlay: the frame must be CV_8UC3 or CV_8UC4");
  if (frame.type() == CV_8UC3) {
    draw_on_three_channels(frame, order, input, style);
    return;
  }
  // Drawing functions would overwrite the fourth byte (alpha or padding): draw on the colour
  // channels alone and put them back.
  cv::Mat colour_channels(frame.size(), CV_8UC3);
  const int pairs[] = {0, 0, 1, 1, 2, 2};
  cv::mixChannels(&frame, 1, &colour_channels, 1, pairs, 3);
  draw_on_three_channels(colour_channels, order, input, style);
  cv::mixChannels(&colour_channels, 1, &frame, 1, pairs, 3);
}

}  // namespace lsfa
