#include "lsfa/render/colorbar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>

#include "lsfa/render/text_box.h"

namespace lsfa {
namespace {

std::string two_decimals(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Places a value label left of the bar with its vertical centre at `row`.
TextBox label_at(const std::string &text, const cv::Rect &bar, int row, double scale) {
  TextBox t = layout_text(text, {0, 0}, scale);
  const int gap = std::max(2, bar.width / 2);
  const cv::Point shift(bar.x - gap - t.box.width, row - t.box.height / 2);
  t.box += shift;
  t.origin += shift;
  return t;
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
                   ValueRange range, float threshold) {
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

  const double scale = text_scale(image.size()) * 0.8;
  const TextBox high = label_at(two_decimals(range.high), bar, bar.y, scale);
  const TextBox low = label_at(two_decimals(range.low), bar, bar.y + bar.height - 1, scale);
  draw_text_box(image, order, high);
  draw_text_box(image, order, low);

  const int row = colorbar_row(bar, range, threshold);
  if (row < 0) return;
  const int tick = std::max(2, bar.width / 3);
  const int thickness = std::max(1, bar.height / 80);
  cv::line(image, {bar.x - tick, row}, {bar.x + bar.width - 1, row}, colour(order, 255, 255, 255),
           thickness);
  const TextBox thr = label_at(two_decimals(threshold), bar, row, scale);
  // The threshold value only where it does not hide a range value.
  if ((thr.box & high.box).area() == 0 && (thr.box & low.box).area() == 0)
    draw_text_box(image, order, thr);
}

}  // namespace lsfa
