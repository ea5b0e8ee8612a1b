#include "lsfa/preprocess/resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

// PIL's fixed-point precision for 8-bit images: 32 bits minus 8 for the pixel value minus 2 for
// the sign and for overshoot of negative-lobe kernels.
constexpr int kPrecisionBits = 32 - 8 - 2;

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Taps of one output position: first source index, count and fixed-point weights.
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // out_size * ksize
};

// Coefficients as PIL computes them (same operations in double, same rounding to fixed point),
// so the integer results match bit for bit.
Taps make_taps(int in_size, int out_size) {
  const double support_base = 2.0;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = support_base * filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(static_cast<size_t>(out_size) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
    }
    int32_t *dst = &t.weights[static_cast<size_t>(xx) * t.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = k[x] * (1 << kPrecisionBits);
      dst[x] = static_cast<int32_t>(k[x] < 0 ? -0.5 + v : 0.5 + v);
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

inline uint8_t clip8(int32_t v) {
  const int32_t s = v >> kPrecisionBits;  // arithmetic shift: floor, as PIL
  return static_cast<uint8_t>(s < 0 ? 0 : (s > 255 ? 255 : s));
}

// Channel count as a template parameter so the tap loop keeps one accumulator per channel in
// registers.
template <int CH>
void horizontal_rows(const cv::Mat &src, cv::Mat &out, const Taps &t) {
  const int out_w = out.cols;
  for (int r = 0; r < src.rows; ++r) {
    const uint8_t *in = src.ptr<uint8_t>(r);
    uint8_t *o = out.ptr<uint8_t>(r);
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t *k = &t.weights[static_cast<size_t>(xx) * t.ksize];
      const uint8_t *base = in + static_cast<size_t>(t.first[xx]) * CH;
      int32_t acc[CH];
      for (int c = 0; c < CH; ++c) acc[c] = 1 << (kPrecisionBits - 1);
      const int n = t.count[xx];
      for (int x = 0; x < n; ++x) {
        for (int c = 0; c < CH; ++c) acc[c] += base[x * CH + c] * k[x];
      }
      for (int c = 0; c < CH; ++c) o[xx * CH + c] = clip8(acc[c]);
    }
  }
}

cv::Mat horizontal(const cv::Mat &src, int out_w) {
  const Taps t = make_taps(src.cols, out_w);
  cv::Mat out(src.rows, out_w, src.type());
  switch (src.channels()) {
    case 1:
      horizontal_rows<1>(src, out, t);
      break;
    case 2:
      horizontal_rows<2>(src, out, t);
      break;
    case 3:
      horizontal_rows<3>(src, out, t);
      break;
    default:
      horizontal_rows<4>(src, out, t);
      break;
  }
  return out;
}

cv::Mat vertical(const cv::Mat &src, int out_h) {
  const int row_len = src.cols * src.channels();
  const Taps t = make_taps(src.rows, out_h);
  cv::Mat out(out_h, src.cols, src.type());
  std::vector<int32_t> acc(row_len);
  for (int yy = 0; yy < out_h; ++yy) {
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    const int32_t *k = &t.weights[static_cast<size_t>(yy) * t.ksize];
    for (int y = 0; y < t.count[yy]; ++y) {
      const uint8_t *in = src.ptr<uint8_t>(t.first[yy] + y);
      const int32_t w = k[y];
      for (int i = 0; i < row_len; ++i) acc[i] += in[i] * w;
    }
    uint8_t *o = out.ptr<uint8_t>(yy);
    for (int i = 0; i < row_len; ++i) o[i] = clip8(acc[i]);
  }
  return out;
}

}  // namespace

cv::Mat resize_bicubic_pil(const cv::Mat &src, int out_width, int out_height) {
  require(!src.empty(), "bicubic resize: the image is empty");
  require(src.depth() == CV_8U && src.channels() >= 1 && src.channels() <= 4,
          "bicubic resize: expects an 8-bit image with 1 to 4 channels");
  require(out_width > 0 && out_height > 0, "bicubic resize: output size must be positive");
  cv::Mat tmp = src.cols != out_width ? horizontal(src, out_width) : src;
  cv::Mat out = src.rows != out_height ? vertical(tmp, out_height) : tmp;
  return out.data == src.data ? src.clone() : out;
}

std::vector<int> nearest_source_indices(int in, int out) {
  require(in > 0 && out > 0, "nearest resize: sizes must be positive");
  std::vector<int> idx(out);
  // torch computes the scale and the product in float32; doing the same keeps the few indices
  // where float rounding differs from the exact quotient identical to the reference.
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  for (int d = 0; d < out; ++d) {
    int v;
    if (out == in)
      v = d;
    else if (out == 2 * in)
      v = d >> 1;
    else
      v = static_cast<int>(std::floor(static_cast<float>(d) * scale));
    idx[d] = std::min(v, in - 1);
  }
  return idx;
}

std::vector<int> nearest_centre_source_indices(int in, int out) {
  require(in > 0 && out > 0, "nearest resize: sizes must be positive");
  std::vector<int> idx(out);
  if (in == out) {  // PIL copies the image unchanged
    for (int d = 0; d < out; ++d) idx[d] = d;
    return idx;
  }
  // PIL's scaling path accumulates the source position in double (start at half a step, add one
  // step per pixel) and truncates; the accumulation is kept so rounding matches PIL exactly.
  const double step = static_cast<double>(in) / out;
  double pos = 0.0 + step * 0.5;
  for (int d = 0; d < out; ++d, pos += step) {
    const int v = pos < 0.0 ? 0 : static_cast<int>(pos);
    idx[d] = std::min(v, in - 1);
  }
  return idx;
}

cv::Mat resize_nearest(const cv::Mat &src, const std::vector<int> &xs, const std::vector<int> &ys) {
  cv::Mat out(static_cast<int>(ys.size()), static_cast<int>(xs.size()), src.type());
  const size_t elem = src.elemSize();
  for (size_t r = 0; r < ys.size(); ++r) {
    const uchar *in = src.ptr<uchar>(ys[r]);
    uchar *o = out.ptr<uchar>(static_cast<int>(r));
    for (size_t c = 0; c < xs.size(); ++c) std::memcpy(o + c * elem, in + xs[c] * elem, elem);
  }
  return out;
}

}  // namespace lsfa
