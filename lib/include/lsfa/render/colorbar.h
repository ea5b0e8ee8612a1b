// The colour bar of the anomaly overlay: a vertical strip of the colour map spanning the display
// range (high at the top), the threshold marked across it, the values written beside it.
#pragma once

#include <opencv2/core.hpp>

#include "lsfa/render/colormap.h"
#include "lsfa/render/value_range.h"

namespace lsfa {

// Where the bar goes on a frame of `frame` size, `inset` pixels (the verdict border) from the
// right edge, vertically centred over half the frame height.
cv::Rect colorbar_rect(cv::Size frame, int inset);

// Row of `bar` (top = range.high, bottom = range.low, linear) that shows `value`; -1 outside the
// range.
int colorbar_row(const cv::Rect &bar, ValueRange range, float value);

// Draws the bar into the 3-channel `image` (channels in `order`) at `bar`, the threshold marker
// (white line) at colorbar_row(threshold) and the range and threshold values as text at its left.
void draw_colorbar(cv::Mat &image, ChannelOrder order, const cv::Rect &bar, Colormap map,
                   ValueRange range, float threshold);

}  // namespace lsfa
