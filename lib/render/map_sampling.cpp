#include "lsfa/render/map_sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

// One axis of the bilinear interpolation of one frame pixel: the two cells it reads and the weight
// of the second. The arithmetic follows gst_lsfa_anomaly_meta_sample step by step (in double) so
// that both give the same float for the same pixel.
struct Tap {
  bool inside = false;  // the pixel centre lies in the rectangle
  int i0 = 0, i1 = 0;
  double f = 0;
};

std::vector<Tap> taps(int pixels, double start, double length, int cells) {
  std::vector<Tap> out(pixels);
  if (cells <= 0 || !(length > 0)) return out;
  for (int i = 0; i < pixels; ++i) {
    const double pos = i + 0.5;
    Tap &t = out[i];
    t.inside = pos >= start && pos < start + length;
    const double g =
        std::clamp(frame_to_map(pos, start, length, cells), 0.0, static_cast<double>(cells - 1));
    t.i0 = static_cast<int>(std::floor(g));
    t.i1 = std::min(t.i0 + 1, cells - 1);
    t.f = g - t.i0;
  }
  return out;
}

}  // namespace

double frame_to_map(double pos, double start, double length, int cells) {
  return (pos - start) * cells / length - 0.5;
}

// Not cv::remap: it rounds sampling positions to 1/32 of a cell, which would make the overlay
// disagree with the meta API by a colour step on smooth maps; the taps are separable, so exact
// weights cost no more.
cv::Mat resample_map(const cv::Mat &map, const MapRect &rect, cv::Size frame) {
  require(map.empty() || map.type() == CV_32FC1, "resample_map: the map must be CV_32FC1");
  cv::Mat out(frame, CV_32FC1, cv::Scalar(std::numeric_limits<float>::quiet_NaN()));
  if (map.empty()) return out;
  const std::vector<Tap> cols = taps(frame.width, rect.x, rect.width, map.cols);
  const std::vector<Tap> rows = taps(frame.height, rect.y, rect.height, map.rows);
  for (int y = 0; y < frame.height; ++y) {
    const Tap &ty = rows[y];
    if (!ty.inside) continue;
    const float *r0 = map.ptr<float>(ty.i0), *r1 = map.ptr<float>(ty.i1);
    float *o = out.ptr<float>(y);
    for (int x = 0; x < frame.width; ++x) {
      const Tap &tx = cols[x];
      if (!tx.inside) continue;
      o[x] = static_cast<float>((1 - ty.f) * ((1 - tx.f) * r0[tx.i0] + tx.f * r0[tx.i1]) +
                                ty.f * ((1 - tx.f) * r1[tx.i0] + tx.f * r1[tx.i1]));
    }
  }
  return out;
}

}  // namespace lsfa
