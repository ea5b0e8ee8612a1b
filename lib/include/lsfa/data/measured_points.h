// Whether an organized cloud holds any measurement at all.
#pragma once

#include <opencv2/core.hpp>

namespace lsfa {

// True when a CV_32FC3 cloud has at least one measured point: finite and not (0,0,0), the rule
// preprocessing applies. Data set loaders refuse clouds without one: such a sample would give
// empty 3D features and an all-background 3D score without a word.
bool has_measured_point(const cv::Mat &xyz);

}  // namespace lsfa
