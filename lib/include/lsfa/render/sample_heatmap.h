// The per-sample heatmap figure of `lsfa eval --write-heatmaps`: the sample's RGB frame with its
// anomaly map blended in a colour map (the model-calibrated range, as lsfaoverlay shows it), the
// ground-truth defect contour, a caption with the sample, its score and label, and a colour bar
// with its value labels beside the frame (so it hides nothing of the part).
#pragma once

#include <opencv2/core.hpp>
#include <string>

#include "lsfa/render/colormap.h"
#include "lsfa/render/value_range.h"

namespace lsfa {

struct SampleHeatmapInput {
  cv::Mat rgb;       // CV_8UC3 frame, channels R,G,B
  cv::Mat map;       // CV_32FC1 anomaly map at the frame's size; NaN = no value (frame left as is)
  cv::Mat gt;        // CV_8UC1 ground truth of the frame's size (> 0 = defect); empty = none drawn
  ValueRange range;  // colour range of the map
  float pixel_threshold = 0;  // marked on the colour bar
  std::string caption;        // one line above the frame, e.g. "crack/003  score 1.52 > 1.10"
};

struct SampleHeatmapStyle {
  Colormap colormap = Colormap::kJet;
  double alpha = 0.5;  // heatmap opacity
  // Frames whose shorter side is below this are enlarged by a whole factor (nearest neighbour)
  // first, so caption, contour and colour bar stay legible on small data sets.
  int min_side = 256;
};

// Where the parts of the figure lie, for a frame of `frame` size.
struct SampleHeatmapLayout {
  int scale = 1;      // whole enlargement factor of the frame
  cv::Rect frame;     // the (enlarged) frame in the figure
  cv::Rect colorbar;  // the colour bar, right of the frame
  int caption_height = 0;
  cv::Size figure;        // the whole figure
  double text_scale = 0;  // caption and colour bar label font scale
};

SampleHeatmapLayout sample_heatmap_layout(cv::Size frame, const SampleHeatmapStyle &style = {});

// The ground-truth contour colour (green; RGB).
constexpr int kGtContourRgb[3] = {0, 255, 0};

// The figure as a CV_8UC3 image in BGR order (ready for cv::imencode). Throws lsfa::Error when the
// map or mask does not have the frame's size or type.
cv::Mat draw_sample_heatmap(const SampleHeatmapInput &input, const SampleHeatmapStyle &style = {});

}  // namespace lsfa
