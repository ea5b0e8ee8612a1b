#include "lsfa/render/text_box.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace lsfa {
namespace {

const int kFont = cv::FONT_HERSHEY_SIMPLEX;

}  // namespace

double text_scale(cv::Size frame) {
  return std::max(0.35, std::min(frame.width, frame.height) / 640.0 * 0.6);
}

double fit_text_scale(const std::string &text, double scale, int width) {
  while (scale > 0.2 && layout_text(text, {0, 0}, scale).box.width > width) scale *= 0.9;
  return std::max(scale, 0.2);
}

TextBox layout_text(const std::string &text, cv::Point top_left, double scale) {
  TextBox t;
  t.text = text;
  t.scale = scale;
  t.thickness = std::max(1, static_cast<int>(scale * 1.6));
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, kFont, scale, t.thickness, &baseline);
  const int pad = std::max(2, size.height / 4);
  t.box = cv::Rect(top_left.x, top_left.y, size.width + 2 * pad, size.height + baseline + 2 * pad);
  t.origin = cv::Point(top_left.x + pad, top_left.y + pad + size.height);
  return t;
}

void draw_text_box(cv::Mat &image, ChannelOrder order, const TextBox &t) {
  cv::rectangle(image, t.box, colour(order, 0, 0, 0), cv::FILLED);
  cv::putText(image, t.text, t.origin, kFont, t.scale, colour(order, 255, 255, 255), t.thickness,
              cv::LINE_AA);
}

}  // namespace lsfa
