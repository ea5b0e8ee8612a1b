// FrameGeometry: mapping between the model grid and the original frame.
#include "lsfa/preprocess/preprocess.h"

namespace lsfa {

double FrameGeometry::model_to_frame_x(double u) const {
  return u * padded_width / size - pad_left;
}
double FrameGeometry::model_to_frame_y(double v) const {
  return v * padded_height / size - pad_top;
}
double FrameGeometry::frame_to_model_x(double x) const {
  return (x + pad_left) * size / padded_width;
}
double FrameGeometry::frame_to_model_y(double y) const {
  return (y + pad_top) * size / padded_height;
}

}  // namespace lsfa
