// Preprocessing as the reference code does it (SPEC 2). Every step is switchable; the defaults
// reproduce the reference. The options are stored in model bundles, so a stream applies exactly what
// training applied.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "lsfa/sample.h"

namespace lsfa {

struct PreprocessOptions {
  bool remove_plane = true;        // RANSAC plane on the image border, points near it removed
  int plane_border = 10;           // border width in pixels used to fit the plane
  double plane_inlier = 0.004;     // RANSAC inlier distance (m)
  double plane_remove = 0.005;     // points within this distance of the plane are removed (m)
  int plane_iterations = 1000;     // RANSAC iterations (seeded, deterministic)
  bool pad_square = true;          // pad to a square, side rounded up to a multiple of 100
  bool keep_largest_cluster = true;
  double cluster_eps = 0.006;      // neighbour distance (m)
  int cluster_min_points = 30;
  bool mask_rgb = true;            // black out RGB pixels whose point was removed
  int size = 224;                  // model input side
  bool normalize = true;           // ImageNet mean/std

  // Stable text form stored in bundles and compared on load, e.g. "plane=1;border=10;...".
  std::string to_string() const;
  static PreprocessOptions from_string(const std::string &s);  // throws lsfa::Error
  // Options with every geometric step off: RGB resized + normalised, cloud resized (--no-preprocess).
  static PreprocessOptions resize_only();
};

// Where the model input sits in the original frame, to map results back.
struct FrameGeometry {
  int frame_width = 0, frame_height = 0;  // original sample size
  int pad_left = 0, pad_top = 0;           // offset of the frame inside the padded square
  int padded_width = 0, padded_height = 0; // size before the resize to `size`
};

struct Preprocessed {
  at::Tensor rgb;    // [3,S,S] float32 (normalised when options.normalize)
  at::Tensor xyz;    // [S,S,3] float32, (0,0,0) = invalid
  at::Tensor valid;  // [S,S] bool, true where xyz is a kept measurement
  at::Tensor gt;     // [S,S] bool ground truth, undefined tensor when the sample has none
  FrameGeometry geometry;
};

// Throws lsfa::Error when the sample is malformed (empty, mismatched sizes, wrong types).
Preprocessed preprocess(const Sample &sample, const PreprocessOptions &options = {});

}  // namespace lsfa
