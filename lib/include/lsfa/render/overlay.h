// The anomaly overlay drawn onto a video frame: the map as a heatmap (fixed calibrated range,
// alpha-blended inside the rectangle the map covers), the contour of the regions above the pixel
// threshold, the verdict as a coloured border, the verdict and score as text and, optionally, a
// colour bar. Works on a cv::Mat view of the frame, in place.
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "lsfa/render/colormap.h"
#include "lsfa/render/map_sampling.h"
#include "lsfa/render/value_range.h"

namespace lsfa {

// One frame's anomaly result, as the anomaly meta carries it.
struct AnomalyOverlayInput {
  cv::Mat map;  // CV_32FC1 anomaly map; empty: no heatmap or contour
  MapRect map_rect;
  float pixel_threshold = 0;
  ValueRange calibrated_range;  // the model-calibrated display range
  float score = 0, threshold = 0;
  bool is_anomalous = false;
};

struct OverlayStyle {
  Colormap colormap = Colormap::kJet;
  double alpha = 0.5;        // heatmap opacity
  ValueRange range{0, 0};    // used instead of the calibrated range when low < high
  bool show_border = true;   // verdict border
  bool show_score = true;    // verdict and score text
  bool show_contour = true;  // outline of the regions above the pixel threshold
  bool show_colorbar = false;
  int border_width = 0;  // 0: 1 % of the shorter side, at least 2
};

// The label text, e.g. "ANOMALY 0.73/0.50" or "OK 0.31/0.50"; "--" without a finite score.
std::string verdict_label(const AnomalyOverlayInput &input);

// Border width used on a frame of `frame` size.
int border_width(const OverlayStyle &style, cv::Size frame);

// Draws the overlay onto `frame` (CV_8UC3 or CV_8UC4, colour channels in `order`; a fourth byte is
// left as it is).
void draw_anomaly_overlay(cv::Mat &frame, ChannelOrder order, const AnomalyOverlayInput &input,
                          const OverlayStyle &style);

}  // namespace lsfa
