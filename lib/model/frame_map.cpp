#include "lsfa/model/frame_map.h"

#include <ATen/ATen.h>

#include <opencv2/imgproc.hpp>

#include "lsfa/core/error.h"

namespace lsfa {

cv::Mat tensor_to_mat(const at::Tensor &map) {
  require(map.defined() && map.dim() == 2, "anomaly map must be a 2-d tensor");
  at::Tensor m = map.detach().to(at::kCPU).to(at::kFloat).contiguous();
  cv::Mat view(static_cast<int>(m.size(0)), static_cast<int>(m.size(1)), CV_32FC1,
               m.data_ptr<float>());
  return view.clone();
}

cv::Mat mask_tensor_to_mat(const at::Tensor &mask) {
  require(mask.defined() && mask.dim() == 2, "mask must be a 2-d tensor");
  at::Tensor m = (mask.detach().to(at::kCPU) != 0).to(at::kByte).mul(255).contiguous();
  cv::Mat view(static_cast<int>(m.size(0)), static_cast<int>(m.size(1)), CV_8UC1,
               m.data_ptr<uint8_t>());
  return view.clone();
}

cv::Mat model_map_to_frame(const at::Tensor &map, const FrameGeometry &g) {
  cv::Mat model = tensor_to_mat(map);
  require(g.frame_width > 0 && g.frame_height > 0 && g.padded_width >= g.frame_width &&
              g.padded_height >= g.frame_height,
          "invalid frame geometry for mapping an anomaly map back to the frame");
  cv::Mat padded;
  cv::resize(model, padded, cv::Size(g.padded_width, g.padded_height), 0, 0, cv::INTER_LINEAR);
  cv::Rect roi(g.pad_left, g.pad_top, g.frame_width, g.frame_height);
  require(roi.x >= 0 && roi.y >= 0 && roi.x + roi.width <= padded.cols &&
              roi.y + roi.height <= padded.rows,
          "frame rectangle lies outside the padded model input");
  return padded(roi).clone();
}

}  // namespace lsfa
