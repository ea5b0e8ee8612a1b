#include "lsfa/render/value_range.h"

#include <algorithm>
#include <cmath>

#include "lsfa/core/error.h"

namespace lsfa {

ValueRange display_range(ValueRange preferred, ValueRange fallback) {
  ValueRange r = preferred.low < preferred.high ? preferred : fallback;
  if (!(r.low < r.high)) r.high = r.low + 1.0f;
  return r;
}

uint8_t range_index(float value, ValueRange range) {
  const float t = std::clamp((value - range.low) / (range.high - range.low), 0.0f, 1.0f);
  // NaN passes the clamp unchanged; it has no colour of its own.
  if (std::isnan(t)) return 0;
  return static_cast<uint8_t>(std::lround(t * 255.0f));
}

cv::Mat range_indices(const cv::Mat &values, ValueRange range) {
  require(values.type() == CV_32FC1, "range_indices: the values must be CV_32FC1");
  cv::Mat out(values.size(), CV_8UC1);
  for (int y = 0; y < values.rows; ++y) {
    const float *in = values.ptr<float>(y);
    uint8_t *o = out.ptr<uint8_t>(y);
    for (int x = 0; x < values.cols; ++x) o[x] = range_index(in[x], range);
  }
  return out;
}

}  // namespace lsfa
