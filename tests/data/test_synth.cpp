// Synthetic generator: layout, determinism, and that every defect kind shows in exactly the
// modalities it should, with a small, exact mask.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <opencv2/core.hpp>
#include <sstream>

#include "lsfa/core/error.h"
#include "lsfa/data/dataset.h"
#include "lsfa/data/depth_camera.h"
#include "lsfa/data/eyecandies.h"
#include "lsfa/data/synth.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"
#include "test_util.h"

namespace fs = std::filesystem;
using lsfa::DefectKind;
using lsfa::test::run_lsfa;
using lsfa::test::shell_quote;
using lsfa::test::TempDir;

namespace {

constexpr int kSize = 160;

// Pixels where two images differ in any channel (CV_8UC1, 255 = differs).
cv::Mat differs(const cv::Mat &a, const cv::Mat &b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  if (d.channels() > 1) {
    std::vector<cv::Mat> ch;
    cv::split(d, ch);
    d = ch[0] | ch[1] | ch[2];
  }
  return d != 0;
}

int count_outside(const cv::Mat &pixels, const cv::Mat &mask) {
  return cv::countNonZero(pixels & ~mask);
}

std::map<std::string, std::string> read_tree(const std::string &root) {
  std::map<std::string, std::string> files;
  for (const auto &e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file())
      files[fs::relative(e.path(), root).string()] = lsfa::read_file(e.path().string());
  return files;
}

std::string synth_args(const std::string &out, int seed) {
  return "synth --out " + shell_quote(out) + " --seed " + std::to_string(seed) +
         " --size 128x96 --train 2 --validation 1 --test-good 1 --test-defect 1 --stream 3";
}

// Runs tests/python/check_synth.py (tifffile, PIL, numpy); returns "" when it passes.
std::string python_check(const std::string &dir) {
  std::string out;
  const int rc = lsfa::test::run_python("check_synth.py", shell_quote(dir), &out);
  return rc == 0 && out.rfind("OK", 0) == 0 ? "" : out;
}

}  // namespace

TEST(SynthNames, KindsRoundTripAndModalities) {
  for (DefectKind k : lsfa::all_defect_kinds())
    EXPECT_EQ(lsfa::defect_from_name(lsfa::defect_name(k)), k);
  EXPECT_THROW(lsfa::defect_from_name("scratch"), lsfa::Error);
  EXPECT_FALSE(lsfa::defect_changes_colour(DefectKind::kDent));
  EXPECT_FALSE(lsfa::defect_changes_colour(DefectKind::kBump));
  EXPECT_FALSE(lsfa::defect_changes_geometry(DefectKind::kStain));
  for (DefectKind k : {DefectKind::kCrack, DefectKind::kHole, DefectKind::kForeignObject}) {
    EXPECT_TRUE(lsfa::defect_changes_colour(k));
    EXPECT_TRUE(lsfa::defect_changes_geometry(k));
  }
  EXPECT_GE(lsfa::synth_categories().size(), 2u);
}

TEST(SynthScene, ErrorsNameTheProblem) {
  EXPECT_THROW(lsfa::make_synth_scene("teapot", 100, 100, 1), lsfa::Error);
  EXPECT_THROW(lsfa::make_synth_scene("ring", 10, 100, 1), lsfa::Error);
  TempDir dir;
  const std::string out_dir = shell_quote(dir.file("out"));
  std::string out;
  EXPECT_NE(run_lsfa("synth --out " + out_dir + " --size 12by3", &out), 0);
  EXPECT_NE(out.find("--size"), std::string::npos) << out;
  EXPECT_NE(run_lsfa("synth --out " + out_dir + " --category teapot", &out), 0);
  EXPECT_NE(out.find("teapot"), std::string::npos) << out;
  EXPECT_NE(run_lsfa("synth --out " + out_dir + " --train -1", &out), 0);
  EXPECT_FALSE(fs::exists(dir.file("out/ring"))) << "nothing is written after an error";
}

// Every kind in every category: compare against the same scene rendered without the defect.
TEST(SynthRender, EachDefectShowsOnlyInItsModalities) {
  for (const std::string &category : lsfa::synth_categories()) {
    for (DefectKind kind : lsfa::all_defect_kinds()) {
      for (uint64_t seed : {11u, 12u}) {
        SCOPED_TRACE(category + " " + lsfa::defect_name(kind) + " seed " + std::to_string(seed));
        const lsfa::SynthScene with = lsfa::make_synth_scene(category, kSize, kSize, seed, kind);
        lsfa::SynthScene without = with;
        without.defect.reset();
        // The defect is drawn from its own stream: the defect-free scene equals the seed's scene.
        const lsfa::SynthFrame plain = lsfa::render_synth_scene(without);
        const lsfa::SynthFrame reference =
            lsfa::render_synth_scene(lsfa::make_synth_scene(category, kSize, kSize, seed));
        ASSERT_EQ(cv::countNonZero(differs(plain.depth, reference.depth)), 0);
        const lsfa::SynthFrame bad = lsfa::render_synth_scene(with);

        const int mask_px = cv::countNonZero(bad.gt);
        const int object_px = cv::countNonZero(bad.object_mask);
        ASSERT_GT(mask_px, 0);
        EXPECT_EQ(cv::countNonZero(plain.gt), 0);
        EXPECT_EQ(cv::countNonZero(bad.gt & ~bad.object_mask), 0) << "defect off the object";
        EXPECT_LT(mask_px, 0.02 * object_px) << mask_px << " of " << object_px;
        EXPECT_GT(mask_px, 0.001 * object_px);

        const cv::Mat rgb_diff = differs(bad.rgb, plain.rgb);
        const cv::Mat xyz_diff = differs(bad.xyz, plain.xyz);
        const cv::Mat depth_diff = differs(bad.depth, plain.depth);
        EXPECT_EQ(count_outside(rgb_diff, bad.gt), 0) << "RGB changed outside the mask";
        EXPECT_EQ(count_outside(xyz_diff, bad.gt), 0) << "xyz changed outside the mask";
        const bool geometric = lsfa::defect_changes_geometry(kind);
        const bool colour = lsfa::defect_changes_colour(kind);
        if (geometric) {
          EXPECT_GE(cv::countNonZero(depth_diff), mask_px / 2);
          // mm-scale: the largest depth change is between 1 and 5 mm (0.1 mm units).
          cv::Mat dz;
          cv::absdiff(bad.depth, plain.depth, dz);
          dz.setTo(0, (bad.depth == 0) | (plain.depth == 0));
          double max_dz = 0;
          cv::minMaxLoc(dz, nullptr, &max_dz);
          EXPECT_GE(max_dz, 10);
          EXPECT_LE(max_dz, 50);
        } else {
          EXPECT_EQ(cv::countNonZero(xyz_diff), 0);
          EXPECT_EQ(cv::countNonZero(depth_diff), 0);
        }
        if (colour) {
          EXPECT_GE(cv::countNonZero(rgb_diff), mask_px / 2);
          const cv::Scalar mean_change =
              cv::mean(cv::abs(bad.rgb - plain.rgb) + cv::abs(plain.rgb - bad.rgb), bad.gt);
          EXPECT_GE(mean_change[0] + mean_change[1] + mean_change[2], 30);
        } else {
          EXPECT_EQ(cv::countNonZero(rgb_diff), 0);
        }
      }
    }
  }
}

TEST(SynthRender, GeometryIsAPlaneWithAnObjectOnIt) {
  for (const std::string &category : lsfa::synth_categories()) {
    SCOPED_TRACE(category);
    const lsfa::SynthScene scene = lsfa::make_synth_scene(category, kSize, kSize, 5);
    const lsfa::SynthFrame f = lsfa::render_synth_scene(scene);
    EXPECT_EQ(cv::countNonZero(
                  differs(f.xyz, lsfa::depth_to_cloud(f.depth, 0.0001, scene.camera.intrinsics))),
              0);
    // Least-squares plane z = p0 + p1 x + p2 y through the 10-pixel border.
    cv::Mat A, z;
    for (int v = 0; v < kSize; ++v)
      for (int u = 0; u < kSize; ++u) {
        if (u >= 10 && u < kSize - 10 && v >= 10 && v < kSize - 10) continue;
        const cv::Vec3f p = f.xyz.at<cv::Vec3f>(v, u);
        ASSERT_GT(p[2], 0) << "border point without measurement";
        A.push_back(cv::Mat(cv::Matx13d(1, p[0], p[1])));
        z.push_back(static_cast<double>(p[2]));
      }
    cv::Mat coef;
    cv::solve(A, z, coef, cv::DECOMP_SVD);
    const cv::Mat residual = A * coef - z;
    const double rms = cv::norm(residual) / std::sqrt(static_cast<double>(residual.rows));
    EXPECT_GT(rms, 0.00005);  // sensor noise is there
    EXPECT_LT(rms, 0.0005);
    EXPECT_GT(coef.at<double>(0), 0.45);
    EXPECT_LT(coef.at<double>(0), 0.55);
    // The object rises 8..20 mm above the plane (more than the 5 mm plane removal distance).
    double top = 0;
    for (int v = 0; v < kSize; ++v)
      for (int u = 0; u < kSize; ++u) {
        const cv::Vec3f p = f.xyz.at<cv::Vec3f>(v, u);
        if (p[2] <= 0) continue;
        const double plane_z =
            coef.at<double>(0) + coef.at<double>(1) * p[0] + coef.at<double>(2) * p[1];
        top = std::max(top, plane_z - p[2]);
      }
    EXPECT_GT(top, 0.008);
    EXPECT_LT(top, 0.020);
    const int object_px = cv::countNonZero(f.object_mask);
    EXPECT_GT(object_px, 0.1 * kSize * kSize);
    EXPECT_LT(object_px, 0.6 * kSize * kSize);
  }
}

TEST(SynthRender, PoseVariesBetweenSamples) {
  const lsfa::SynthFrame a = lsfa::render_synth_scene(lsfa::make_synth_scene("tile", 128, 128, 1));
  const lsfa::SynthFrame b = lsfa::render_synth_scene(lsfa::make_synth_scene("tile", 128, 128, 2));
  const int differ = cv::countNonZero(differs(a.object_mask, b.object_mask));
  EXPECT_GT(differ, 0.05 * cv::countNonZero(a.object_mask));
}

TEST(SynthDataset, LayoutStreamAndDeterminism) {
  TempDir dir;
  const std::string out1 = dir.file("a"), out2 = dir.file("b"), out3 = dir.file("c");
  std::string log;
  ASSERT_EQ(run_lsfa(synth_args(out1, 7), &log), 0) << log;
  EXPECT_NE(log.find("ring/test/dent"), std::string::npos) << log;
  ASSERT_EQ(run_lsfa(synth_args(out2, 7), &log), 0) << log;
  ASSERT_EQ(run_lsfa(synth_args(out3, 8) + " --category ring", &log), 0) << log;

  EXPECT_EQ(python_check(out1), "");
  EXPECT_EQ(lsfa::list_categories(out1), lsfa::synth_categories());
  for (const std::string &cat : lsfa::synth_categories()) {
    EXPECT_EQ(lsfa::index_split(out1, cat, "train").size(), 2u);
    EXPECT_EQ(lsfa::index_split(out1, cat, "validation").size(), 1u);
    const auto test = lsfa::index_split(out1, cat, "test");
    ASSERT_EQ(test.size(), 1u + lsfa::all_defect_kinds().size());
    for (const auto &e : test) {
      const lsfa::Sample s = lsfa::load_sample(e);
      EXPECT_EQ(s.rgb.size(), cv::Size(128, 96));
      ASSERT_FALSE(e.gt_path.empty()) << e.rgb_path;  // good test samples get a gt file too
      if (e.defect == "good")
        EXPECT_EQ(cv::countNonZero(s.gt), 0);
      else
        EXPECT_GT(cv::countNonZero(s.gt), 0) << e.rgb_path;
    }
    // Stream: frames equal to the library's rendering of the same seeds.
    const std::string stream = out1 + "/" + cat + "/stream";
    const lsfa::DepthCamera cam = lsfa::read_camera_json(stream + "/intrinsics.json");
    EXPECT_EQ(cam.width, 128);
    EXPECT_EQ(cam.height, 96);
    EXPECT_EQ(cam.depth_scale, 0.0001);
    std::istringstream labels(lsfa::read_file(stream + "/labels.csv"));
    std::string line;
    std::getline(labels, line);
    EXPECT_EQ(line, "frame,label,defect_pixels");
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(std::getline(labels, line));
      const std::string label = i == 2 ? "dent" : "good";
      const std::string id = "00" + std::to_string(i);
      const cv::Mat depth = lsfa::read_depth_png(stream + "/depth/" + id + ".png");
      const cv::Mat gt = lsfa::read_mask_png(stream + "/gt/" + id + ".png");
      EXPECT_EQ(line, id + "," + label + "," + std::to_string(cv::countNonZero(gt)));
      std::optional<DefectKind> kind;
      if (i == 2) kind = DefectKind::kDent;
      const lsfa::SynthFrame f = lsfa::render_synth_scene(lsfa::make_synth_scene(
          cat, 128, 96, lsfa::synth_sample_seed(7, cat, "stream", label, i), kind));
      EXPECT_EQ(cv::countNonZero(differs(depth, f.depth)), 0);
      EXPECT_EQ(
          cv::countNonZero(differs(lsfa::read_rgb_png(stream + "/rgb/" + id + ".png"), f.rgb)), 0);
      EXPECT_EQ(i == 2, cv::countNonZero(gt) > 0);
    }
  }

  const auto tree1 = read_tree(out1), tree2 = read_tree(out2), tree3 = read_tree(out3);
  EXPECT_EQ(tree1.size(), tree2.size());
  for (const auto &[name, bytes] : tree1) {
    auto it = tree2.find(name);
    ASSERT_NE(it, tree2.end()) << name;
    EXPECT_TRUE(it->second == bytes) << name << " differs between two runs with the same seed";
  }
  int same_as_other_seed = 0, images = 0;
  for (const auto &[name, bytes] : tree1) {
    if (name.find("/rgb/") == std::string::npos && name.find("/xyz/") == std::string::npos)
      continue;
    ++images;
    auto it = tree3.find(name);
    if (it != tree3.end() && it->second == bytes) ++same_as_other_seed;
  }
  EXPECT_GT(images, 0);
  EXPECT_EQ(same_as_other_seed, 0);

  // Existing output is protected unless --overwrite.
  ASSERT_NE(run_lsfa(synth_args(out1, 7), &log), 0);
  EXPECT_NE(log.find("--overwrite"), std::string::npos) << log;
  ASSERT_EQ(run_lsfa(synth_args(out1, 7) + " --category tile --overwrite", &log), 0) << log;
}

TEST(SynthDataset, EyecandiesLayoutLoadsAsTheRenderedScene) {
  TempDir dir;
  const std::string out = dir.file("eye");
  std::string log;
  ASSERT_EQ(run_lsfa(synth_args(out, 7) + " --category ring --layout eyecandies", &log), 0) << log;
  EXPECT_EQ(lsfa::detect_dataset_layout(out, "ring"), lsfa::DatasetLayout::kEyecandies);
  EXPECT_EQ(lsfa::list_categories(out), std::vector<std::string>{"ring"});
  for (const char *f : {"ring/train/data/001_image_4.png", "ring/train/data/001_depth.png",
                        "ring/train/data/001_info_depth.yaml", "ring/train/data/001_pose.txt",
                        "ring/val/data/000_depth.png", "ring/test_public/data/006_mask.png"})
    EXPECT_TRUE(fs::is_regular_file(out + "/" + f)) << f;
  EXPECT_EQ(lsfa::index_dataset(out, "ring", "train").size(), 2u);
  EXPECT_EQ(lsfa::index_dataset(out, "ring", "validation").size(), 1u);
  const auto test = lsfa::index_dataset(out, "ring", "test");
  ASSERT_EQ(test.size(), 1u + lsfa::all_defect_kinds().size());
  int bad = 0;
  for (const auto &e : test) {
    EXPECT_EQ(e.layout, lsfa::DatasetLayout::kEyecandies);
    bad += e.defect == "bad";
  }
  EXPECT_EQ(bad, int(lsfa::all_defect_kinds().size()));  // ids 001..006, every kind in turn

  // Test sample 001 is the first defect kind (dent) drawn from the MVTec layout's seed: the files
  // read back through the Eyecandies loader give the scene as the Eyecandies camera renders it.
  lsfa::SynthScene scene = lsfa::make_synth_scene(
      "ring", 128, 96, lsfa::synth_sample_seed(7, "ring", "test", "dent", 0), DefectKind::kDent);
  TempDir again;
  const lsfa::SynthFrame f = lsfa::write_eyecandies_synth_sample(scene, again.path(), "001", true);
  const auto it = std::find_if(test.begin(), test.end(),
                               [](const lsfa::DatasetEntry &e) { return e.id == "001"; });
  ASSERT_NE(it, test.end());
  EXPECT_EQ(it->defect, "bad");
  const lsfa::Sample s = lsfa::load_sample(*it);
  EXPECT_EQ(cv::countNonZero(differs(s.rgb, f.rgb)), 0);
  EXPECT_EQ(cv::countNonZero(differs(s.gt, f.gt)), 0);
  EXPECT_GT(cv::countNonZero(s.gt), 0);
  // Depth survives the 16-bit normalised encoding to within one step of it; 0 stays unmeasured.
  double max_depth = 0;
  cv::minMaxLoc(f.depth, nullptr, &max_depth);
  max_depth *= 0.0001;
  const lsfa::Intrinsics k = lsfa::eyecandies_intrinsics(128, 96);
  int measured = 0;
  for (int v = 0; v < 96; ++v)
    for (int u = 0; u < 128; ++u) {
      const cv::Vec3f p = s.xyz.at<cv::Vec3f>(v, u);
      const double z = f.depth.at<uint16_t>(v, u) * 0.0001;
      if (z == 0) {
        ASSERT_EQ(p, cv::Vec3f(0, 0, 0)) << u << "," << v;
        continue;
      }
      ++measured;
      ASSERT_NEAR(p[2], z, max_depth / 65535 + 1e-6) << u << "," << v;
      ASSERT_NEAR(p[0], (u - k.cx) * p[2] / k.fx, 1e-6) << u << "," << v;  // identity pose
    }
  EXPECT_GT(measured, 96 * 128 * 9 / 10);
  // The plane moved closer with the shorter focal length: the object keeps its size in pixels.
  const lsfa::SynthFrame mvtec = lsfa::render_synth_scene(scene);
  const double ratio =
      double(cv::countNonZero(f.object_mask)) / cv::countNonZero(mvtec.object_mask);
  EXPECT_NEAR(ratio, 1.0, 0.1);
}
