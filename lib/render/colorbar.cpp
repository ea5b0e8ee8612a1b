#include "lsfa/render/colorbar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>

namespace lsfa {
namespace {

std::string two_decimals(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A value label left of the bar with its vertical centre at `row`, shrunk to fit right of `left`
// and moved into the image vertically; false when it cannot fit.
bool label_at(const std::string &text, cv::Size image, const cv::Rect &bar, int row, double scale,
              int left, TextBox *out) {
  const int gap = std::max(2, bar.width / 2);
  const int room = bar.x - gap - left;
  if (room <= 0) return false;
  TextBox t = layout_text(text, {0, 0}, fit_text_scale(text, scale, room));
  if (t.box.width > room || t.box.height > image.height) return false;
  const int top = std::clamp(row - t.box.height / 2, 0, image.height - t.box.height);
  const cv::Point shift(bar.x - gap - t.box.width, top);
  t.box += shift;
  t.origin += shift;
  *out = t;
  return true;
}

}  // namespace

cv::Rect colorbar_rect(cv::Size frame, int inset) {
  const int shorter = std::min(frame.width, frame.height);
  const int width = std::max(6, shorter / 32);
  const int margin = std::max(4, shorter / 50);
  const int height = std::min(std::max(16, frame.height / 2), frame.height);
  return {frame.width - inset - margin - width, (frame.height - height) / 2, width, height};
}

int colorbar_row(const cv::Rect &bar, ValueRange range, float value) {
  if (!(value >= range.low && value <= range.high) || bar.height < 1) return -1;
  const double t = (static_cast<double>(range.high) - value) / (range.high - range.low);
  return bar.y + static_cast<int>(std::lround(t * (bar.height - 1)));
}

void draw_colorbar(cv::Mat &image, ChannelOrder order, const cv::Rect &bar, Colormap map,
                   ValueRange range, float threshold, double label_scale, int label_left) {
  if (bar.width < 1 || bar.height < 2) return;
  // The ramp: the top row has index 255 (range.high), the bottom row index 0 (range.low).
  cv::Mat ramp(bar.height, 1, CV_8UC1);
  for (int r = 0; r < bar.height; ++r)
    ramp.at<uint8_t>(r) = static_cast<uint8_t>(
        std::lround(255.0 * (bar.height - 1 - r) / static_cast<double>(bar.height - 1)));
  cv::Mat strip;
  cv::repeat(apply_colormap(ramp, map, order), 1, bar.width, strip);

  const cv::Rect frame_rect(0, 0, image.cols, image.rows);
  cv::rectangle(image, bar - cv::Point(1, 1) + cv::Size(2, 2), colour(order, 0, 0, 0));
  const cv::Rect visible = bar & frame_rect;
  if (visible.area() > 0) strip(visible - bar.tl()).copyTo(image(visible));

  const double scale = label_scale > 0 ? label_scale : text_scale(image.size()) * 0.8;
  for (const TextBox &t : colorbar_labels(image.size(), bar, range, threshold, scale, label_left))
    draw_text_box(image, order, t);

  const int row = colorbar_row(bar, range, threshold);
  if (row < 0) return;
  const int tick = std::max(2, bar.width / 3);
  const int thickness = std::max(1, bar.height / 80);
  cv::line(image, {bar.x - tick, row}, {bar.x + bar.width - 1, row}, colour(order, 255, 255, 255),
           thickness);
}

std::vector<TextBox> colorbar_labels(cv::Size image, const cv::Rect &bar, ValueRange range,
                                     float threshold, double scale, int left) {
  std::vector<TextBox> out;
  auto add = [&](float value, int row) {
    TextBox t;
    if (row < 0 || !label_at(two_decimals(value), image, bar, row, scale, left, &t)) return;
    for (const TextBox &o : out)
      if ((o.box & t.box).area() > 0) return;  // would hide a label placed before it
    out.push_back(t);
  };
  add(range.high, bar.y);
  add(range.low, bar.y + bar.height - 1);
  add(threshold, colorbar_row(bar, range, threshold));
  return out;
}

}  // namespace lsfa
