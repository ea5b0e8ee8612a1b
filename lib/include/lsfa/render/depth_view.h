// A viewable picture of an organized point cloud: the z of each measured point through a colour
// map, for previewing or encoding depth with ordinary video tools.
#pragma once

#include <opencv2/core.hpp>

#include "lsfa/render/colormap.h"
#include "lsfa/render/value_range.h"

namespace lsfa {

// The range of z over the measured points (finite and not (0,0,0)) of a CV_32FC3 cloud;
// {0, 0} when none is measured.
ValueRange measured_z_range(const cv::Mat &xyz);

// CV_8UC3 in `order`: each measured point coloured with `map` at range_index(z, range) (so
// range.low gets the low end of the map), unmeasured points black. A degenerate range is widened
// as display_range does. Throws lsfa::Error when `xyz` is not CV_32FC3.
cv::Mat depth_view(const cv::Mat &xyz, ValueRange range, Colormap map, ChannelOrder order);

}  // namespace lsfa
