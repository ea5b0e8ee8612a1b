// Text of the overlay: cv::putText (Hershey simplex, anti-aliased) in white on a filled black box,
// sized to the frame so it stays legible from thumbnails to 4K.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "lsfa/render/colormap.h"

namespace lsfa {

struct TextBox {
  std::string text;
  cv::Rect box;      // the filled background
  cv::Point origin;  // baseline start passed to cv::putText
  double scale = 1;  // cv::putText font scale
  int thickness = 1;
};

// Font scale for a frame of `frame` size (0.35 up to 640 px on the shorter side, growing with it).
double text_scale(cv::Size frame);

// The largest scale not above `scale` at which the box of `text` fits in `width` pixels, so a label
// is not cut off at the frame edge on small frames; not below 0.2 (unreadable anyway).
double fit_text_scale(const std::string &text, double scale, int width);

// Lays out `text` at `scale` with the box's top-left corner at `top_left`.
TextBox layout_text(const std::string &text, cv::Point top_left, double scale);

// Draws the box and the text into the 3-channel `image` (clipped to it).
void draw_text_box(cv::Mat &image, ChannelOrder order, const TextBox &t);

}  // namespace lsfa
