// The colour bar of the anomaly overlay: a vertical strip of the colour map spanning the display
// range (high at the top), the threshold marked across it, the values written beside it.
#pragma once

#include <opencv2/core.hpp>
#include <vector>

#include "lsfa/render/colormap.h"
#include "lsfa/render/text_box.h"
#include "lsfa/render/value_range.h"

namespace lsfa {

// Where the bar goes on a frame of `frame` size, `inset` pixels (the verdict border) from the
// right edge, vertically centred over half the frame height.
cv::Rect colorbar_rect(cv::Size frame, int inset);

// Row of `bar` (top = range.high, bottom = range.low, linear) that shows `value`; -1 outside the
// range.
int colorbar_row(const cv::Rect &bar, ValueRange range, float value);

// The value labels of a bar drawn on an image of `image` size: range.high, range.low, then the
// threshold (when inside the range), each left of the bar with its vertical centre at its row,
// moved vertically into the image. A label is shrunk (from `scale`) to fit between x = `left` and
// the bar; one that does not fit even so, or would overlap a label before it, is left out, so on
// small frames fewer labels show instead of unreadable overlapping ones.
std::vector<TextBox> colorbar_labels(cv::Size image, const cv::Rect &bar, ValueRange range,
                                     float threshold, double scale, int left = 0);

// Draws the bar into the 3-channel `image` (channels in `order`) at `bar`, the threshold marker
// (white line) at colorbar_row(threshold) and the colorbar_labels at its left, at `label_scale`
// (0: 0.8 x text_scale of the image) right of x = `label_left`.
void draw_colorbar(cv::Mat &image, ChannelOrder order, const cv::Rect &bar, Colormap map,
                   ValueRange range, float threshold, double label_scale = 0, int label_left = 0);

}  // namespace lsfa
