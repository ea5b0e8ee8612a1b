// Resizing to the model grid (docs/preprocessing.md, steps 4-6).
#pragma once

#include <opencv2/core.hpp>
#include <vector>

namespace lsfa {

// Bicubic resize of an 8-bit image (1 to 4 channels) computed the way PIL's
// Image.resize(size, Image.BICUBIC) does it: separable, horizontal pass then vertical, cubic
// kernel a = -0.5 whose support grows with the downscale factor (antialiasing), coefficients
// normalised to sum 1 and quantised to 22-bit fixed point, rounding and clamping to uint8 after
// each pass. A pass whose size does not change is skipped, as in PIL.
cv::Mat resize_bicubic_pil(const cv::Mat &src, int out_width, int out_height);

// Source index of each destination index for the nearest resize of the reference cloud path
// (torch.nn.functional.interpolate mode='nearest'): floor(dst * in / out) evaluated in float32 as
// torch does. That equals the exact quotient for the padded sides 100, 200, ... 1200 and differs
// by one for a few indices of some other sizes (e.g. 62, 124 or 1300 -> 224).
std::vector<int> nearest_source_indices(int in, int out);

// Source index of each destination index for PIL's NEAREST resize (used by the reference for the
// ground truth): floor((dst + 0.5) * in / out), sampled at pixel centres, with PIL's floating-point
// accumulation (it differs from the exact quotient for some sizes; PIL is the reference).
std::vector<int> nearest_centre_source_indices(int in, int out);

// Nearest resize of any cv::Mat with the given per-axis source indices (cols from xs, rows from
// ys).
cv::Mat resize_nearest(const cv::Mat &src, const std::vector<int> &xs, const std::vector<int> &ys);

}  // namespace lsfa
