// Preprocessing (docs/preprocessing.md): constructed scenes with known answers, and the resizes compared with the
// tools the reference uses (PIL, torch, numpy) through tests/python/preprocess_reference.py.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "lsfa/core/error.h"
#include "lsfa/preprocess/largest_cluster.h"
#include "lsfa/preprocess/plane_removal.h"
#include "lsfa/preprocess/preprocess.h"
#include "lsfa/preprocess/resample.h"
#include "lsfa/preprocess/square_pad.h"
#include "test_util.h"

namespace lsfa {
namespace {

using test::run_python;
using test::TempDir;

// ---------------------------------------------------------------- scene construction

// Camera-like grid, 1 mm per pixel, centred on the image centre.
double grid_x(int c, int w) {
  return (c - w / 2) * 0.001;
}
double grid_y(int r, int h) {
  return (r - h / 2) * 0.001;
}
// A tilted table 0.4 m away.
double table_z(double x, double y) {
  return 0.4 + 0.2 * x + 0.1 * y;
}

cv::Mat random_rgb(int w, int h, uint32_t seed) {
  cv::Mat rgb(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(rgb, cv::RNG::UNIFORM, 1, 256);  // never (0,0,0), so blacked-out pixels are telling
  return rgb;
}

void set_point(cv::Mat &xyz, int r, int c, double x, double y, double z) {
  xyz.at<cv::Vec3f>(r, c) = cv::Vec3f(float(x), float(y), float(z));
}

struct Scene {
  Sample sample;
  cv::Mat plane;    // CV_8U: pixel is a (noisy) table point
  cv::Mat box;      // CV_8U: pixel is a box top point
  cv::Mat clutter;  // CV_8U: pixel is a small object standing on the table border
};

// Tilted noisy table with a box (3 cm tall) in the middle, a few invalid pixels, and two small
// objects on the border (RANSAC outliers that the cluster step must remove).
Scene table_with_box(int w, int h, uint32_t seed = 7) {
  Scene s;
  s.sample.rgb = random_rgb(w, h, seed);
  s.sample.xyz = cv::Mat(h, w, CV_32FC3, cv::Scalar::all(0));
  s.plane = cv::Mat(h, w, CV_8U, cv::Scalar(0));
  s.box = s.plane.clone();
  s.clutter = s.plane.clone();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(-0.0008, 0.0008);
  for (int r = 0; r < h; ++r) {
    for (int c = 0; c < w; ++c) {
      if ((r * 31 + c * 17) % 23 == 0) continue;  // sensor holes: invalid pixels
      const double x = grid_x(c, w), y = grid_y(r, h);
      const bool in_box = r >= h * 3 / 10 && r < h * 7 / 10 && c >= w / 4 && c < w * 3 / 4;
      const bool in_clutter = (r >= 2 && r < 8 && c >= 3 && c < 9) ||
                              (r >= h - 7 && r < h - 2 && c >= w - 9 && c < w - 3);
      if (in_box) {
        set_point(s.sample.xyz, r, c, x, y, table_z(x, y) - 0.03);
        s.box.at<uchar>(r, c) = 1;
      } else if (in_clutter) {
        set_point(s.sample.xyz, r, c, x, y, table_z(x, y) - 0.02);
        s.clutter.at<uchar>(r, c) = 1;
      } else {
        set_point(s.sample.xyz, r, c, x, y, table_z(x, y) + noise(rng));
        s.plane.at<uchar>(r, c) = 1;
      }
    }
  }
  return s;
}

bool zero_rgb(const cv::Mat &rgb, int r, int c) {
  return rgb.at<cv::Vec3b>(r, c) == cv::Vec3b(0, 0, 0);
}
bool zero_xyz(const cv::Mat &xyz, int r, int c) {
  return xyz.at<cv::Vec3f>(r, c) == cv::Vec3f(0, 0, 0);
}

// Options that keep the geometry of a square frame of side `side` (identity resize).
PreprocessOptions identity_size(int side) {
  PreprocessOptions o;
  o.size = side;
  o.normalize = false;
  return o;
}

// Model-grid RGB tensor [3,S,S] in [0,1] back to 8-bit HxWx3.
cv::Mat rgb_from_tensor(const at::Tensor &t) {
  const int s = int(t.size(1)), w = int(t.size(2));
  at::Tensor u8 = t.mul(255).round().clamp(0, 255).to(at::kByte).permute({1, 2, 0}).contiguous();
  cv::Mat out(s, w, CV_8UC3);
  std::memcpy(out.data, u8.data_ptr<uint8_t>(), out.total() * 3);
  return out;
}

void write_raw(const std::string &path, const cv::Mat &m) {
  ASSERT_TRUE(m.isContinuous());
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char *>(m.data), std::streamsize(m.total() * m.elemSize()));
}

std::vector<char> read_raw(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(f), {});
}

// ---------------------------------------------------------------- plane removal

TEST(PlaneRemoval, FitsTiltedTableDespiteBorderClutter) {
  Scene s = table_with_box(120, 100);
  auto fit = fit_border_plane(s.sample.xyz, 10, 0.004, 1000);
  ASSERT_TRUE(fit.has_value());
  // True plane: 0.2 x + 0.1 y - z + 0.4 = 0.
  const double n = std::sqrt(0.2 * 0.2 + 0.1 * 0.1 + 1.0);
  const double sign = fit->plane.c < 0 ? 1.0 : -1.0;
  EXPECT_NEAR(sign * fit->plane.a, 0.2 / n, 2e-3);
  EXPECT_NEAR(sign * fit->plane.b, 0.1 / n, 2e-3);
  EXPECT_NEAR(sign * fit->plane.c, -1.0 / n, 2e-4);
  EXPECT_NEAR(sign * fit->plane.d, 0.4 / n, 2e-4);
  // Every table point on the border is an inlier, clutter points are not.
  int border_table = 0, border_all = 0;
  for (int r = 0; r < 100; ++r)
    for (int c = 0; c < 120; ++c) {
      const bool border = r < 10 || r >= 90 || c < 10 || c >= 110;
      if (!border) continue;
      border_table += s.plane.at<uchar>(r, c);
      border_all += s.plane.at<uchar>(r, c) + s.clutter.at<uchar>(r, c);
    }
  EXPECT_EQ(fit->border_points, border_all);
  EXPECT_EQ(fit->inliers, border_table);
}

TEST(PlaneRemoval, RemovesExactlyTheTableAndBlacksOutItsPixels) {
  Scene s = table_with_box(120, 100);
  cv::Mat xyz = s.sample.xyz.clone(), rgb = s.sample.rgb.clone();
  auto fit = fit_border_plane(xyz, 10, 0.004, 1000);
  ASSERT_TRUE(fit.has_value());
  const int removed = remove_plane_points(xyz, &rgb, fit->plane, 0.005);
  EXPECT_EQ(removed, cv::countNonZero(s.plane));
  for (int r = 0; r < 100; ++r)
    for (int c = 0; c < 120; ++c) {
      const bool table = s.plane.at<uchar>(r, c);
      EXPECT_EQ(zero_xyz(xyz, r, c), table || zero_xyz(s.sample.xyz, r, c)) << r << "," << c;
      // RGB is blacked out exactly where a point was removed; holes keep their colour.
      EXPECT_EQ(zero_rgb(rgb, r, c), table) << r << "," << c;
      if (!table) {
        EXPECT_EQ(rgb.at<cv::Vec3b>(r, c), s.sample.rgb.at<cv::Vec3b>(r, c));
      }
    }
}

TEST(PlaneRemoval, TooFewBorderPointsSkipsTheStep) {
  cv::Mat xyz(50, 50, CV_32FC3, cv::Scalar::all(0));
  EXPECT_FALSE(fit_border_plane(xyz, 10, 0.004, 1000).has_value());
  set_point(xyz, 0, 0, 0.01, 0.01, 0.4);
  set_point(xyz, 0, 1, 0.02, 0.01, 0.4);
  EXPECT_FALSE(fit_border_plane(xyz, 10, 0.004, 1000).has_value());
  // Three collinear points do not make a plane either.
  set_point(xyz, 0, 2, 0.03, 0.01, 0.4);
  EXPECT_FALSE(fit_border_plane(xyz, 10, 0.004, 1000).has_value());
  set_point(xyz, 5, 3, 0.03, 0.02, 0.4);
  EXPECT_TRUE(fit_border_plane(xyz, 10, 0.004, 1000).has_value());
}

// ---------------------------------------------------------------- square padding

TEST(SquarePad, MatchesReferenceGeometry) {
  SquarePad p = square_pad_for(300, 250);  // width 300, height 250
  EXPECT_EQ(p.side, 300);
  EXPECT_EQ(p.top, 25);
  EXPECT_EQ(p.bottom, 25);
  EXPECT_EQ(p.left, 0);
  EXPECT_EQ(p.right, 0);
  p = square_pad_for(450, 200);
  EXPECT_EQ(p.side, 500);
  EXPECT_EQ(p.top, 150);
  EXPECT_EQ(p.bottom, 150);
  EXPECT_EQ(p.left, 25);
  EXPECT_EQ(p.right, 25);
  p = square_pad_for(301, 250);  // odd remainder goes to the bottom / right, as numpy's pad
  EXPECT_EQ(p.side, 400);
  EXPECT_EQ(p.left, 49);
  EXPECT_EQ(p.right, 50);
  EXPECT_EQ(p.top, 75);
  EXPECT_EQ(p.bottom, 75);
  p = square_pad_for(800, 800);  // already square and a multiple of 100: unchanged
  EXPECT_EQ(p.side, 800);
  EXPECT_EQ(p.top + p.bottom + p.left + p.right, 0);
  EXPECT_THROW(square_pad_for(0, 10), Error);
}

TEST(SquarePad, PreprocessPlacesTheFrameInsideThePaddedSquare) {
  // 450x200 frame, a single marked point; with size = padded side the resize is the identity.
  Sample s;
  s.rgb = random_rgb(450, 200, 3);
  s.xyz = cv::Mat(200, 450, CV_32FC3, cv::Scalar::all(0));
  for (int r = 40; r < 80; ++r)
    for (int c = 100; c < 160; ++c) set_point(s.xyz, r, c, c * 1e-3, r * 1e-3, 0.5);
  s.gt = cv::Mat(200, 450, CV_8U, cv::Scalar(0));
  s.gt.at<uchar>(50, 120) = 255;
  PreprocessOptions o = identity_size(500);
  o.remove_plane = false;
  Preprocessed p = preprocess(s, o);
  const FrameGeometry &g = p.geometry;
  EXPECT_EQ(g.frame_width, 450);
  EXPECT_EQ(g.frame_height, 200);
  EXPECT_EQ(g.pad_left, 25);
  EXPECT_EQ(g.pad_top, 150);
  EXPECT_EQ(g.padded_width, 500);
  EXPECT_EQ(g.padded_height, 500);
  EXPECT_EQ(g.size, 500);
  EXPECT_TRUE(p.gt[150 + 50][25 + 120].item<bool>());
  EXPECT_EQ(p.gt.sum().item<int64_t>(), 1);
  EXPECT_EQ(p.valid.sum().item<int64_t>(), 40 * 60);
  EXPECT_TRUE(p.valid[150 + 40][25 + 100].item<bool>());
  EXPECT_FALSE(p.valid[150 + 39][25 + 100].item<bool>());
  EXPECT_FLOAT_EQ(p.xyz[150 + 45][25 + 130][0].item<float>(), 0.130f);
  // Padding is black, the frame keeps its colours.
  cv::Mat rgb = rgb_from_tensor(p.rgb);
  EXPECT_EQ(rgb.at<cv::Vec3b>(10, 10), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(rgb.at<cv::Vec3b>(150 + 7, 25 + 9), s.rgb.at<cv::Vec3b>(7, 9));
  // Geometry maps model coordinates back to the frame and round-trips.
  EXPECT_DOUBLE_EQ(g.model_to_frame_x(25), 0.0);
  EXPECT_DOUBLE_EQ(g.model_to_frame_y(150), 0.0);
  PreprocessOptions o224 = o;
  o224.size = 224;
  const FrameGeometry g2 = preprocess(s, o224).geometry;
  EXPECT_DOUBLE_EQ(g2.model_to_frame_x(224), 475.0);
  EXPECT_DOUBLE_EQ(g2.model_to_frame_y(224), 350.0);
  for (double v : {0.0, 13.5, 111.0, 224.0}) {
    EXPECT_NEAR(g2.frame_to_model_x(g2.model_to_frame_x(v)), v, 1e-9);
    EXPECT_NEAR(g2.frame_to_model_y(g2.model_to_frame_y(v)), v, 1e-9);
  }
}

// ---------------------------------------------------------------- largest cluster

TEST(LargestCluster, RemovesSmallSeparateBlobsKeepsTheObject) {
  cv::Mat xyz(60, 60, CV_32FC3, cv::Scalar::all(0));
  cv::Mat rgb = random_rgb(60, 60, 5);
  cv::Mat obj(60, 60, CV_8U, cv::Scalar(0)), blob = obj.clone(), deep = obj.clone();
  for (int r = 10; r < 40; ++r)
    for (int c = 10; c < 40; ++c) {
      set_point(xyz, r, c, c * 1e-3, r * 1e-3, 0.4 + 1e-4 * r), obj.at<uchar>(r, c) = 1;
    }
  for (int r = 50; r < 56; ++r)  // separate in the image (invalid gap)
    for (int c = 50; c < 56; ++c)
      set_point(xyz, r, c, c * 1e-3, r * 1e-3, 0.4), blob.at<uchar>(r, c) = 1;
  for (int r = 10; r < 16; ++r)  // touching the object in the image but 2 cm behind it
    for (int c = 40; c < 46; ++c)
      set_point(xyz, r, c, c * 1e-3, r * 1e-3, 0.42), deep.at<uchar>(r, c) = 1;
  cv::Mat before = xyz.clone(), rgb_before = rgb.clone();
  ClusterResult res = keep_largest_cluster(xyz, &rgb, 0.006, 30, 1, 8);
  EXPECT_EQ(res.clusters, 3);
  EXPECT_EQ(res.largest, 900);
  EXPECT_EQ(res.points_removed, 72);
  for (int r = 0; r < 60; ++r)
    for (int c = 0; c < 60; ++c) {
      if (obj.at<uchar>(r, c)) {
        EXPECT_EQ(xyz.at<cv::Vec3f>(r, c), before.at<cv::Vec3f>(r, c));
        EXPECT_EQ(rgb.at<cv::Vec3b>(r, c), rgb_before.at<cv::Vec3b>(r, c));
      } else if (blob.at<uchar>(r, c) || deep.at<uchar>(r, c)) {
        EXPECT_TRUE(zero_xyz(xyz, r, c));
        EXPECT_TRUE(zero_rgb(rgb, r, c));
      } else {  // invalid pixels keep their colour
        EXPECT_EQ(rgb.at<cv::Vec3b>(r, c), rgb_before.at<cv::Vec3b>(r, c));
      }
    }
}

TEST(LargestCluster, HolesAreBridgedUpToTheBridgeWidth) {
  // Four pieces of a flat object (0.5 mm per pixel) separated by gaps of missing points 1, 5 and
  // 10 pixels wide; every gap is narrower than eps (6 mm), so DBSCAN would join all four.
  const int w = 90, h = 30;
  cv::Mat xyz(h, w, CV_32FC3, cv::Scalar::all(0));
  auto piece = [](int c) {
    return c < 15 ? 0 : c < 16 ? -1 : c < 30 ? 1 : c < 35 ? -1 : c < 50 ? 2 : c < 60 ? -1 : 3;
  };
  for (int r = 5; r < 25; ++r)
    for (int c = 5; c < 80; ++c)
      if (piece(c) >= 0) set_point(xyz, r, c, c * 5e-4, r * 5e-4, 0.4);
  struct Case {
    int radius, bridge, clusters, removed;
  };
  // Piece sizes: 200, 280, 300, 400 points.
  for (const Case &k :
       {Case{1, 0, 4, 780}, Case{2, 0, 3, 700}, Case{1, 8, 2, 400}, Case{1, 12, 1, 0}}) {
    cv::Mat m = xyz.clone();
    const ClusterResult res = keep_largest_cluster(m, nullptr, 0.006, 30, k.radius, k.bridge);
    EXPECT_EQ(res.clusters, k.clusters) << k.radius << "/" << k.bridge;
    EXPECT_EQ(res.points_removed, k.removed) << k.radius << "/" << k.bridge;
  }
}

TEST(LargestCluster, MatchesScikitLearnDbscanOnAScanLikeScene) {
  // A dome (0.5 mm per pixel) with sensor holes up to 3 pixels wide, a 4-pixel crack, a sparse
  // 12-point speck (DBSCAN noise), a 64-point chip 2 cm above the dome, and a column of points on a
  // far wall.
  const int w = 100, h = 100;
  cv::Mat xyz(h, w, CV_32FC3, cv::Scalar::all(0));
  cv::RNG rng(17);
  cv::Mat holes(h, w, CV_8U, cv::Scalar(0));
  for (int k = 0; k < 40; ++k) {
    const int r = rng.uniform(0, h - 3), c = rng.uniform(0, w - 3), s = rng.uniform(1, 4);
    holes(cv::Rect(c, r, s, s)).setTo(1);
  }
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const double x = (c - 49.7) * 5e-4, y = (r - 49.3) * 5e-4;
      const double d2 = x * x + y * y;
      const bool crack = c >= 60 && c < 64;  // a 2 mm gap splitting the dome in the image
      if (d2 < 0.02 * 0.02 && !holes.at<uchar>(r, c) && !crack)
        set_point(xyz, r, c, x, y, 0.4 - 0.02 + 25 * d2);
    }
  for (int k = 0; k < 12; ++k) set_point(xyz, 2 + k, 2 + k, 0.001 * k + 1e-4, -0.03, 0.35);
  for (int r = 40; r < 48; ++r)
    for (int c = 40; c < 48; ++c) set_point(xyz, r, c, (c - 49.7) * 5e-4, (r - 49.3) * 5e-4, 0.36);
  for (int r = 0; r < h; ++r) set_point(xyz, r, w - 1, 0.05, (r - 49.3) * 5e-4, 0.5);

  TempDir dir;
  write_raw(dir.file("xyz.bin"), xyz);
  std::string out;
  ASSERT_EQ(run_python("preprocess_reference.py",
                       "dbscan " + dir.file("xyz.bin") + " " + std::to_string(h) + " " +
                           std::to_string(w) + " " + dir.file("kept.bin"),
                       &out),
            0)
      << out;
  const std::vector<char> kept = read_raw(dir.file("kept.bin"));
  ASSERT_EQ(kept.size(), size_t(h * w));
  cv::Mat mine = xyz.clone();
  const ClusterResult res = keep_largest_cluster(mine, nullptr, 0.006, 30, 1, 8);
  EXPECT_GE(res.clusters, 4);
  int differences = 0, reference_kept = 0;
  for (int i = 0; i < h * w; ++i) {
    const bool ours = !zero_xyz(mine, i / w, i % w);
    reference_kept += kept[i] != 0;
    differences += ours != (kept[i] != 0);
  }
  EXPECT_GT(reference_kept, 4000);
  EXPECT_EQ(differences, 0);
}

TEST(LargestCluster, NothingRemovedWhenNoClusterIsBigEnough) {
  cv::Mat xyz(20, 20, CV_32FC3, cv::Scalar::all(0));
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) set_point(xyz, r, c, c * 1e-3, r * 1e-3, 0.4);
  set_point(xyz, 15, 15, 0.1, 0.1, 0.4);
  ClusterResult res = keep_largest_cluster(xyz, nullptr, 0.006, 30, 1, 8);
  EXPECT_EQ(res.clusters, 2);
  EXPECT_EQ(res.largest, 16);
  EXPECT_EQ(res.points_removed, 0);
  EXPECT_FALSE(zero_xyz(xyz, 15, 15));
  res = keep_largest_cluster(xyz, nullptr, 0.006, 10, 1, 8);
  EXPECT_EQ(res.points_removed, 1);
}

// ---------------------------------------------------------------- whole chain on a scene

TEST(Preprocess, TableWithBoxKeepsOnlyTheBox) {
  Scene s = table_with_box(100, 100);
  Preprocessed p = preprocess(s.sample, identity_size(100));
  EXPECT_TRUE(p.stats.plane_found);
  EXPECT_EQ(p.stats.plane_points_removed, cv::countNonZero(s.plane));
  EXPECT_EQ(p.stats.cluster_points_removed, cv::countNonZero(s.clutter));
  EXPECT_EQ(p.stats.valid_points_in,
            cv::countNonZero(s.plane) + cv::countNonZero(s.box) + cv::countNonZero(s.clutter));
  EXPECT_EQ(p.stats.valid_points_kept, cv::countNonZero(s.box));
  const cv::Mat rgb = rgb_from_tensor(p.rgb);
  auto valid = p.valid.accessor<bool, 2>();
  for (int r = 0; r < 100; ++r)
    for (int c = 0; c < 100; ++c) {
      const bool box = s.box.at<uchar>(r, c),
                 removed = s.plane.at<uchar>(r, c) || s.clutter.at<uchar>(r, c);
      EXPECT_EQ(valid[r][c], box) << r << "," << c;
      EXPECT_EQ(zero_rgb(rgb, r, c), removed) << r << "," << c;
      if (!removed) {
        EXPECT_EQ(rgb.at<cv::Vec3b>(r, c), s.sample.rgb.at<cv::Vec3b>(r, c));
      }
    }
  // xyz is zero exactly where invalid.
  EXPECT_TRUE(at::equal(p.xyz.abs().sum(2).gt(0), p.valid));
}

TEST(Preprocess, EachStepCanBeSwitchedOff) {
  Scene s = table_with_box(100, 100);
  PreprocessOptions o = identity_size(100);
  o.remove_plane = false;
  Preprocessed p = preprocess(s.sample, o);
  EXPECT_FALSE(p.stats.plane_found);
  // Without plane removal the table is the largest cluster; the box top (3 cm step) and the
  // clutter are separate clusters and go.
  EXPECT_EQ(p.stats.cluster_points_removed, cv::countNonZero(s.box) + cv::countNonZero(s.clutter));
  EXPECT_EQ(p.valid.sum().item<int64_t>(), cv::countNonZero(s.plane));

  o = identity_size(100);
  o.keep_largest_cluster = false;
  p = preprocess(s.sample, o);
  EXPECT_EQ(p.valid.sum().item<int64_t>(), cv::countNonZero(s.box) + cv::countNonZero(s.clutter));

  o = identity_size(100);
  o.mask_rgb = false;
  p = preprocess(s.sample, o);
  EXPECT_EQ(cv::norm(rgb_from_tensor(p.rgb), s.sample.rgb, cv::NORM_INF), 0.0);

  o = PreprocessOptions::resize_only();
  o.size = 100;
  o.normalize = false;
  p = preprocess(s.sample, o);
  EXPECT_EQ(p.valid.sum().item<int64_t>(), p.stats.valid_points_in);
  EXPECT_EQ(cv::norm(rgb_from_tensor(p.rgb), s.sample.rgb, cv::NORM_INF), 0.0);
}

TEST(Preprocess, Deterministic) {
  Scene s = table_with_box(300, 250, 11);
  Preprocessed a = preprocess(s.sample), b = preprocess(s.sample);
  EXPECT_TRUE(at::equal(a.rgb, b.rgb));
  EXPECT_TRUE(at::equal(a.xyz, b.xyz));
  EXPECT_TRUE(at::equal(a.valid, b.valid));
  EXPECT_EQ(a.stats.plane_points_removed, b.stats.plane_points_removed);
  EXPECT_EQ(a.geometry.pad_top, 25);
  EXPECT_EQ(a.rgb.sizes(), (std::vector<int64_t>{3, 224, 224}));
  EXPECT_EQ(a.xyz.sizes(), (std::vector<int64_t>{224, 224, 3}));
  EXPECT_EQ(a.valid.scalar_type(), at::kBool);
  EXPECT_FALSE(a.gt.defined());
}

// ---------------------------------------------------------------- degenerate inputs

TEST(Preprocess, RejectsMalformedSamples) {
  Scene s = table_with_box(40, 30);
  auto expect_error = [](const Sample &bad, const std::string &fragment) {
    try {
      preprocess(bad);
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  Sample a = s.sample;
  a.rgb = cv::Mat();
  expect_error(a, "no RGB image");
  a = s.sample;
  a.xyz = cv::Mat();
  expect_error(a, "no point cloud");
  a = s.sample;
  a.xyz = cv::Mat(31, 40, CV_32FC3, cv::Scalar::all(0));
  expect_error(a, "but the point cloud is 40x31");
  a = s.sample;
  a.rgb.convertTo(a.rgb, CV_32F);
  expect_error(a, "8-bit 3-channel");
  a = s.sample;
  a.xyz = cv::Mat(30, 40, CV_64FC3, cv::Scalar::all(0));
  expect_error(a, "float32 3-channel");
  a = s.sample;
  a.gt = cv::Mat(30, 41, CV_8U, cv::Scalar(0));
  expect_error(a, "ground truth is 41x30");
  a = s.sample;
  a.gt = cv::Mat(30, 40, CV_16U, cv::Scalar(0));
  expect_error(a, "ground truth must be 8-bit");
  PreprocessOptions o;
  o.size = 0;
  EXPECT_THROW(preprocess(s.sample, o), Error);
}

TEST(Preprocess, AllInvalidOrNaNCloudGivesAllInvalidResult) {
  for (float fill :
       {0.f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    Sample s;
    s.rgb = random_rgb(120, 90, 2);
    s.xyz = cv::Mat(90, 120, CV_32FC3, cv::Scalar::all(fill));
    Preprocessed p = preprocess(s);
    EXPECT_FALSE(p.stats.plane_found);
    EXPECT_EQ(p.stats.valid_points_in, 0);
    EXPECT_EQ(p.valid.sum().item<int64_t>(), 0);
    EXPECT_EQ(p.xyz.abs().sum().item<float>(), 0.f);  // no NaN leaks into the output
    EXPECT_EQ(p.rgb.sizes(), (std::vector<int64_t>{3, 224, 224}));
    EXPECT_GT(p.rgb.abs().sum().item<float>(), 0.f);  // the image is still there
  }
}

TEST(Preprocess, NaNPointsAreInvalid) {
  Scene s = table_with_box(100, 100);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // NaN in one coordinate of a few box points and of table points.
  s.sample.xyz.at<cv::Vec3f>(40, 40)[1] = nan;
  s.sample.xyz.at<cv::Vec3f>(0, 50)[2] = nan;
  s.box.at<uchar>(40, 40) = 0;
  s.plane.at<uchar>(0, 50) = 0;
  Preprocessed p = preprocess(s.sample, identity_size(100));
  EXPECT_EQ(p.stats.plane_points_removed, cv::countNonZero(s.plane));
  EXPECT_FALSE(p.valid[40][40].item<bool>());
  EXPECT_EQ(p.valid.sum().item<int64_t>(), cv::countNonZero(s.box));
  EXPECT_FALSE(at::isnan(p.xyz).any().item<bool>());
}

TEST(Preprocess, TinyFramesWork) {
  Sample s;
  s.rgb = random_rgb(1, 1, 9);
  s.xyz = cv::Mat(1, 1, CV_32FC3, cv::Scalar(0.01, 0.02, 0.4));
  Preprocessed p = preprocess(s);  // one border point: plane skipped; padded to 100x100
  EXPECT_FALSE(p.stats.plane_found);
  EXPECT_EQ(p.geometry.padded_width, 100);
  EXPECT_EQ(p.geometry.pad_left, 49);
  EXPECT_EQ(p.stats.valid_points_kept, 1);  // a single point is below min_points: kept
  PreprocessOptions o = PreprocessOptions::resize_only();
  p = preprocess(s, o);
  EXPECT_EQ(p.valid.sum().item<int64_t>(), 224 * 224);  // nearest upscale of one valid point
}

// ---------------------------------------------------------------- options

TEST(PreprocessOptions, TextFormIsStableAndRoundTrips) {
  const PreprocessOptions d;
  EXPECT_EQ(d.to_string(),
            "plane=1;border=10;inlier=0.004;remove=0.005;iterations=1000;square=1;cluster=1;"
            "eps=0.006;min_points=30;radius=1;bridge=8;mask_rgb=1;size=224;normalize=1");
  EXPECT_EQ(PreprocessOptions::from_string(d.to_string()), d);
  PreprocessOptions o;
  o.remove_plane = false;
  o.plane_border = 7;
  o.plane_inlier = 0.1 + 0.2;  // not exactly representable in short decimal
  o.plane_remove = 1.0 / 3.0;
  o.plane_iterations = 5;
  o.cluster_eps = 1e-7;
  o.cluster_min_points = 1;
  o.cluster_radius = 3;
  o.cluster_bridge = 0;
  o.mask_rgb = false;
  o.size = 112;
  o.normalize = false;
  const PreprocessOptions back = PreprocessOptions::from_string(o.to_string());
  EXPECT_EQ(back, o);
  EXPECT_EQ(back.plane_inlier, 0.1 + 0.2);
  EXPECT_EQ(back.plane_remove, 1.0 / 3.0);
  EXPECT_NE(o, d);
  // Keys in another order and spaces are accepted.
  EXPECT_EQ(
      PreprocessOptions::from_string(
          "normalize=1; size=224;mask_rgb=1;bridge=8;radius=1;min_points=30;eps=0.006;cluster=1;"
          "square=1;iterations=1000;remove=0.005;inlier=0.004;border=10;plane=1"),
      d);
  const PreprocessOptions r = PreprocessOptions::resize_only();
  EXPECT_FALSE(r.remove_plane || r.pad_square || r.keep_largest_cluster);
  EXPECT_EQ(PreprocessOptions::from_string(r.to_string()), r);
}

TEST(PreprocessOptions, RejectsGarbage) {
  const std::string good = PreprocessOptions().to_string();
  auto replaced = [&](const std::string &from, const std::string &to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  auto expect_error = [](const std::string &text, const std::string &fragment) {
    try {
      PreprocessOptions::from_string(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("", "missing");
  expect_error("garbage", "not key=value");
  expect_error(good + ";colour=1", "unknown key 'colour'");
  expect_error(good + ";size=224", "given twice");
  expect_error(replaced("plane=1;", ""), "'plane' is missing");
  expect_error(replaced("plane=1", "plane=2"), "'plane' has value '2'");
  expect_error(replaced("plane=1", "plane=yes"), "'plane'");
  expect_error(replaced("size=224", "size=abc"), "'size' has value 'abc'");
  expect_error(replaced("size=224", "size=22x"), "'size'");
  expect_error(replaced("size=224", "size=0"), "'size'");
  expect_error(replaced("size=224", "size=99999999999"), "'size'");
  expect_error(replaced("eps=0.006", "eps=nan"), "'eps'");
  expect_error(replaced("eps=0.006", "eps=-1"), "'eps'");
  expect_error(replaced("eps=0.006", "eps="), "'eps'");
  expect_error(replaced("radius=1", "radius=0"), "'radius'");
  expect_error(replaced("bridge=8", "bridge=-1"), "'bridge'");
  expect_error(replaced("iterations=1000", "iterations=0"), "'iterations'");
}

// ---------------------------------------------------------------- resizes against the reference

TEST(Resample, NearestIndicesMatchTorchNumpyAndPil) {
  const std::vector<std::pair<int, int>> pairs = {{800, 224},  {400, 224}, {500, 224}, {600, 224},
                                                  {1300, 224}, {224, 224}, {100, 224}, {112, 224},
                                                  {62, 224},   {124, 224}, {8, 28},    {3, 2},
                                                  {7, 5},      {300, 224}, {1000, 28}, {1, 224}};
  std::string arg;
  for (auto [i, o] : pairs)
    arg += (arg.empty() ? "" : ",") + std::to_string(i) + ":" + std::to_string(o);
  std::string out;
  ASSERT_EQ(run_python("preprocess_reference.py", "nearest " + arg, &out), 0) << out;
  const nlohmann::json ref = nlohmann::json::parse(out);
  int differs_from_exact = 0;
  for (auto [i, o] : pairs) {
    const auto &r = ref.at(std::to_string(i) + ":" + std::to_string(o));
    const std::vector<int> torch_rule = nearest_source_indices(i, o);
    EXPECT_EQ(torch_rule, r.at("torch").get<std::vector<int>>()) << i << "->" << o;
    EXPECT_EQ(nearest_centre_source_indices(i, o), r.at("pil").get<std::vector<int>>())
        << i << "->" << o;
    const auto exact = r.at("numpy").get<std::vector<int>>();
    if (i % 100 == 0 && i <= 1200) {  // float32 is exact for these padded sides
      EXPECT_EQ(torch_rule, exact) << i << "->" << o;
    }
    for (size_t k = 0; k < exact.size(); ++k) differs_from_exact += torch_rule[k] != exact[k];
  }
  // float32 rounding cases of torch: 1 index of 62 -> 224, 3 of 124 -> 224, 1 of 1300 -> 224.
  EXPECT_EQ(differs_from_exact, 5);
}

struct BicubicCase {
  int w, h, channels, out_w, out_h;
  bool natural;
};

cv::Mat test_image(const BicubicCase &c, uint32_t seed) {
  cv::Mat img(c.h, c.w, CV_8UC(c.channels));
  if (!c.natural) {
    cv::RNG(seed).fill(img, cv::RNG::UNIFORM, 0, 256);
    return img;
  }
  // Smooth shading, hard edges, a saturated disc and mild noise: like a product photo.
  cv::RNG rng(seed);
  for (int r = 0; r < c.h; ++r)
    for (int x = 0; x < c.w; ++x)
      for (int k = 0; k < c.channels; ++k) {
        double v = 60 + 120.0 * x / c.w + 40 * std::sin(r * 0.05 + k);
        if ((x / 37 + r / 29) % 5 == 0) v = 20 + 10 * k;
        const double dx = x - c.w * 0.6, dy = r - c.h * 0.4;
        if (dx * dx + dy * dy < 0.04 * c.w * c.h) v = k == 0 ? 255 : 0;
        v += rng.uniform(-6, 7);
        img.ptr<uchar>(r)[x * c.channels + k] = cv::saturate_cast<uchar>(v);
      }
  return img;
}

TEST(Resample, BicubicMatchesPilExactly) {
  TempDir dir;
  const std::vector<BicubicCase> cases = {
      {800, 800, 3, 224, 224, true},  {800, 800, 3, 224, 224, false},
      {400, 400, 3, 224, 224, false}, {300, 250, 3, 224, 224, true},
      {100, 100, 3, 224, 224, false}, {57, 311, 3, 224, 224, false},
      {224, 224, 3, 224, 224, false}, {1, 1, 3, 224, 224, false},
      {500, 300, 1, 224, 100, true},  {640, 480, 3, 7, 5, false}};
  uint32_t seed = 1;
  for (const BicubicCase &c : cases) {
    const cv::Mat img = test_image(c, seed++);
    write_raw(dir.file("in.bin"), img);
    std::string out;
    const std::string args = "bicubic " + dir.file("in.bin") + " " + std::to_string(c.h) + " " +
                             std::to_string(c.w) + " " + std::to_string(c.channels) + " " +
                             std::to_string(c.out_w) + " " + std::to_string(c.out_h) + " " +
                             dir.file("out.bin");
    ASSERT_EQ(run_python("preprocess_reference.py", args, &out), 0) << out;
    const std::vector<char> ref = read_raw(dir.file("out.bin"));
    const cv::Mat mine = resize_bicubic_pil(img, c.out_w, c.out_h);
    ASSERT_EQ(ref.size(), mine.total() * mine.elemSize());
    int max_diff = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      max_diff = std::max(max_diff, std::abs(int(uint8_t(ref[i])) - int(mine.data[i])));
    EXPECT_EQ(max_diff, 0) << c.w << "x" << c.h << "->" << c.out_w << "x" << c.out_h;
  }
}

TEST(Resample, NormalisationMatchesTorch) {
  TempDir dir;
  // All 256 values in each channel, as a 256x1 image; size 256 keeps it unresized... resize_only
  // with size = side needs a square: a 16x16 image holds the 256 values.
  Sample s;
  s.rgb = cv::Mat(16, 16, CV_8UC3);
  for (int i = 0; i < 256; ++i)
    s.rgb.at<cv::Vec3b>(i / 16, i % 16) = cv::Vec3b(i, 255 - i, (i * 7) % 256);
  s.xyz = cv::Mat(16, 16, CV_32FC3, cv::Scalar::all(0));
  PreprocessOptions o = PreprocessOptions::resize_only();
  o.size = 16;
  const Preprocessed p = preprocess(s, o);
  write_raw(dir.file("in.bin"), s.rgb);
  std::string out;
  ASSERT_EQ(run_python("preprocess_reference.py",
                       "normalize " + dir.file("in.bin") + " 256 " + dir.file("out.bin"), &out),
            0)
      << out;
  const std::vector<char> ref = read_raw(dir.file("out.bin"));
  ASSERT_EQ(ref.size(), 256 * 3 * sizeof(float));
  const float *r = reinterpret_cast<const float *>(ref.data());
  auto t = p.rgb.accessor<float, 3>();
  for (int i = 0; i < 256; ++i)
    for (int k = 0; k < 3; ++k) EXPECT_EQ(t[k][i / 16][i % 16], r[i * 3 + k]) << i << "," << k;
  // Known values: 0 -> -mean/std, 255 -> (1-mean)/std.
  EXPECT_NEAR(t[0][0][0], -0.485 / 0.229, 1e-6);
  EXPECT_NEAR(t[1][0][0], (1 - 0.456) / 0.224, 1e-6);
}

TEST(Preprocess, WholeChainMatchesReferenceTools) {
  // 300x250 frame (padding on), tilted table, box, border clutter, sensor holes; the Python side
  // runs the reference chain with numpy, scikit-learn DBSCAN, PIL and torch.
  Scene s = table_with_box(300, 250, 5);
  TempDir dir;
  write_raw(dir.file("rgb.bin"), s.sample.rgb);
  write_raw(dir.file("xyz.bin"), s.sample.xyz);
  std::string out;
  ASSERT_EQ(run_python("preprocess_reference.py",
                       "chain " + dir.file("rgb.bin") + " " + dir.file("xyz.bin") + " 250 300 " +
                           dir.file("rgb_out.bin") + " " + dir.file("xyz_out.bin"),
                       &out),
            0)
      << out;
  const std::vector<char> ref_rgb = read_raw(dir.file("rgb_out.bin"));
  const std::vector<char> ref_xyz = read_raw(dir.file("xyz_out.bin"));
  ASSERT_EQ(ref_rgb.size(), 3 * 224 * 224 * sizeof(float));
  ASSERT_EQ(ref_xyz.size(), 224 * 224 * 3 * sizeof(float));
  const Preprocessed p = preprocess(s.sample);
  const at::Tensor rgb_ref =
      at::from_blob(const_cast<char *>(ref_rgb.data()), {3, 224, 224}, at::kFloat);
  const at::Tensor xyz_ref =
      at::from_blob(const_cast<char *>(ref_xyz.data()), {224, 224, 3}, at::kFloat);
  EXPECT_EQ((p.rgb - rgb_ref).abs().max().item<float>(), 0.f);
  EXPECT_TRUE(at::equal(p.xyz, xyz_ref));
  EXPECT_TRUE(at::equal(p.valid, xyz_ref.abs().sum(2).gt(0)));
  EXPECT_GT(p.valid.sum().item<int64_t>(), 5000);
}

TEST(Preprocess, GroundTruthThresholdAndNearestCentre) {
  Sample s;
  s.rgb = random_rgb(400, 400, 4);
  s.xyz = cv::Mat(400, 400, CV_32FC3, cv::Scalar::all(0));
  s.gt = cv::Mat(400, 400, CV_8U, cv::Scalar(0));
  s.gt(cv::Rect(100, 200, 50, 30)).setTo(255);
  s.gt(cv::Rect(300, 20, 40, 40)).setTo(1);  // class-id coded masks count as defect too
  const Preprocessed p = preprocess(s, PreprocessOptions::resize_only());
  const std::vector<int> idx = nearest_centre_source_indices(400, 224);
  int64_t expected = 0;
  for (int r = 0; r < 224; ++r)
    for (int c = 0; c < 224; ++c) {
      const bool want = s.gt.at<uchar>(idx[r], idx[c]) > 0;
      expected += want;
      ASSERT_EQ(p.gt[r][c].item<bool>(), want) << r << "," << c;
    }
  EXPECT_EQ(p.gt.sum().item<int64_t>(), expected);
  EXPECT_GT(expected, 0);
}

}  // namespace
}  // namespace lsfa
