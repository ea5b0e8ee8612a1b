// Padding to a square (docs/preprocessing.md, step 2), as the reference does: each side rounded up
// to a multiple of 100, the square side is the larger of the two, the image centred (odd remainder
// at the bottom / right).
#pragma once

#include <opencv2/core.hpp>

namespace lsfa {

struct SquarePad {
  int top = 0, bottom = 0, left = 0, right = 0;
  int side = 0;
};

// Throws lsfa::Error for non-positive sizes.
SquarePad square_pad_for(int width, int height);

// Pads any cv::Mat with zeros by `pad` (a new matrix; the input is not changed).
cv::Mat pad_with_zeros(const cv::Mat &m, const SquarePad &pad);

}  // namespace lsfa
