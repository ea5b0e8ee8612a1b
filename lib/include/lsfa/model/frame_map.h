// Anomaly maps between model space (the S x S input of the backbones) and the original frame.
#pragma once

#include <ATen/core/Tensor.h>

#include <opencv2/core.hpp>

#include "lsfa/preprocess/preprocess.h"

namespace lsfa {

// [S,S] float tensor -> CV_32FC1 copy (model space).
cv::Mat tensor_to_mat(const at::Tensor &map);
// [S,S] bool/uint8 tensor -> CV_8UC1 copy with 255 where true.
cv::Mat mask_tensor_to_mat(const at::Tensor &mask);

// Model-space map -> frame-space map: bilinear resize to the padded square, then the frame's
// rectangle cut out of it (undoing preprocessing's square padding).
cv::Mat model_map_to_frame(const at::Tensor &map, const FrameGeometry &geometry);

}  // namespace lsfa
