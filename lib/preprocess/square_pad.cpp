#include "lsfa/preprocess/square_pad.h"

#include <algorithm>
#include <string>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {
int round_up_100(int x) {
  return (x + 99) / 100 * 100;
}
}  // namespace

SquarePad square_pad_for(int width, int height) {
  require(width > 0 && height > 0, "square padding: image size " + std::to_string(width) + "x" +
                                       std::to_string(height) + " is empty");
  SquarePad p;
  p.side = std::max(round_up_100(width), round_up_100(height));
  p.top = (p.side - height) / 2;
  p.bottom = p.side - height - p.top;
  p.left = (p.side - width) / 2;
  p.right = p.side - width - p.left;
  return p;
}

cv::Mat pad_with_zeros(const cv::Mat &m, const SquarePad &pad) {
  if (pad.top == 0 && pad.bottom == 0 && pad.left == 0 && pad.right == 0) return m.clone();
  cv::Mat out;
  cv::copyMakeBorder(m, out, pad.top, pad.bottom, pad.left, pad.right, cv::BORDER_CONSTANT,
                     cv::Scalar::all(0));
  return out;
}

}  // namespace lsfa
