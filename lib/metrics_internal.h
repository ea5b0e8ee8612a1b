// Helpers shared by the metric sources (not installed).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace lsfa {

// Throws lsfa::Error unless maps and masks pair up: same count (> 0), CV_32FC1 maps, CV_8UC1 masks,
// equal sizes.
void check_maps(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts);

}  // namespace lsfa
