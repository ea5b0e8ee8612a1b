// Preprocessing as the reference code does it (docs/preprocessing.md). Every step is switchable;
// the defaults reproduce the reference. The options are stored in model bundles, so a stream
// applies exactly what training applied. See docs/preprocessing.md.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "lsfa/data/sample.h"

namespace lsfa {

struct PreprocessOptions {
  bool remove_plane = true;     // RANSAC plane on the image border, points near it removed
  int plane_border = 10;        // border width in pixels used to fit the plane
  double plane_inlier = 0.004;  // RANSAC inlier distance (m)
  double plane_remove = 0.005;  // points within this distance of the plane are removed (m)
  int plane_iterations = 1000;  // RANSAC iteration cap (seeded, deterministic, stops early)
  bool pad_square = true;       // pad to a square, side rounded up to a multiple of 100
  bool keep_largest_cluster = true;
  double cluster_eps = 0.006;   // neighbour distance (m)
  int cluster_min_points = 30;  // the largest cluster must have this many points to be used
  int cluster_radius = 1;       // pixel window radius searched for neighbours (1 = 8-neighbourhood)
  int cluster_bridge = 8;       // wider window between edge pixels: spans holes up to 7 pixels
  bool mask_rgb = true;         // black out RGB pixels whose point was removed
  int size = 224;               // model input side
  bool normalize = true;        // ImageNet mean/std (else RGB in [0,1])

  // Stable text form stored in bundles and compared on load, e.g. "plane=1;border=10;...". Every
  // key appears once, in a fixed order; numbers use the shortest text that reads back exactly.
  std::string to_string() const;
  // Parses to_string()'s form (keys in any order, all required). Throws lsfa::Error naming the
  // offending key or value for unknown, missing, duplicate or out-of-range entries.
  static PreprocessOptions from_string(const std::string &s);
  // Options with every geometric step off: RGB resized + normalised, cloud resized
  // (--no-preprocess).
  static PreprocessOptions resize_only();
  // Throws lsfa::Error when a value is out of range (negative distances, size < 1, ...).
  void validate() const;

  bool operator==(const PreprocessOptions &o) const { return to_string() == o.to_string(); }
  bool operator!=(const PreprocessOptions &o) const { return !(*this == o); }
};

// Where the model input sits in the original frame, to map results back. The model grid of
// side `size` covers the padded square; the frame sits at (pad_left, pad_top) inside it. The
// mapping functions need a filled-in geometry (size and padded sizes > 0), as preprocess() returns.
struct FrameGeometry {
  int frame_width = 0, frame_height = 0;    // original sample size
  int pad_left = 0, pad_top = 0;            // offset of the frame inside the padded image
  int padded_width = 0, padded_height = 0;  // size before the resize to `size`
  int size = 0;                             // model grid side

  // Continuous pixel coordinates (0 = left/top edge of the first pixel) from model grid to frame
  // and back.
  double model_to_frame_x(double u) const;
  double model_to_frame_y(double v) const;
  double frame_to_model_x(double x) const;
  double frame_to_model_y(double y) const;
};

// What the steps did, for logs and tests.
struct PreprocessStats {
  bool plane_found = false;  // false when the step was off or the border had too few points
  int plane_points_removed = 0;
  int cluster_points_removed = 0;
  int clusters = 0;           // connected clusters seen by the cluster step (0 when off)
  int valid_points_in = 0;    // finite, non-zero points of the input cloud
  int valid_points_kept = 0;  // valid points after all steps, before the resize
};

struct Preprocessed {
  at::Tensor rgb;    // [3,S,S] float32 (normalised when options.normalize)
  at::Tensor xyz;    // [S,S,3] float32, (0,0,0) = invalid
  at::Tensor valid;  // [S,S] bool, true where xyz is a kept measurement
  at::Tensor gt;     // [S,S] bool ground truth, undefined tensor when the sample has none
  FrameGeometry geometry;
  PreprocessStats stats;
};

// Throws lsfa::Error when the sample is malformed (empty, mismatched sizes, wrong types) or the
// options are out of range. Non-finite points count as invalid. A cloud with no valid point gives
// an all-invalid result (xyz zero, valid false) with the RGB still resized; it does not throw.
Preprocessed preprocess(const Sample &sample, const PreprocessOptions &options = {});

}  // namespace lsfa
