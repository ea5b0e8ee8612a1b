#include "lsfa/data/eyecandies.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "lsfa/core/error.h"
#include "lsfa/data/measured_points.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_io.h"

namespace lsfa {

namespace fs = std::filesystem;

Intrinsics eyecandies_intrinsics(int width, int height) {
  return Intrinsics{kEyecandiesFocal, kEyecandiesFocal, width / 2.0, height / 2.0};
}

std::string EyecandiesEntry::file(const std::string &suffix) const {
  return dir + "/" + id + "_" + suffix;
}

namespace {

std::string directory_of_split(const std::string &split) {
  if (split == "train") return "train";
  if (split == "validation") return "val";
  if (split == "test") return "test_public";
  throw Error("unknown split \"" + split + "\" (expected train, validation or test)");
}

}  // namespace

std::vector<EyecandiesEntry> index_eyecandies(const std::string &category_dir,
                                              const std::string &split,
                                              const EyecandiesOptions &options) {
  const fs::path data = fs::path(category_dir) / directory_of_split(split) / "data";
  std::error_code ec;
  require(fs::is_directory(data, ec), "Eyecandies directory " + data.string() + " does not exist");
  const std::string depth_suffix = "_depth.png";
  std::vector<std::string> ids;
  for (const auto &e : fs::directory_iterator(data)) {
    const std::string name = e.path().filename().string();
    if (name.size() > depth_suffix.size() &&
        name.compare(name.size() - depth_suffix.size(), depth_suffix.size(), depth_suffix) == 0)
      ids.push_back(name.substr(0, name.size() - depth_suffix.size()));
  }
  std::sort(ids.begin(), ids.end());
  std::string category = fs::path(category_dir).lexically_normal().filename().string();
  if (category.empty())
    category = fs::path(category_dir).lexically_normal().parent_path().filename();
  std::vector<EyecandiesEntry> out;
  for (const auto &id : ids) {
    EyecandiesEntry entry{category, split, id, data.string()};
    for (const std::string &suffix : {std::string("info_depth.yaml"), std::string("pose.txt"),
                                      "image_" + std::to_string(options.rgb_image) + ".png"}) {
      require(fs::is_regular_file(entry.file(suffix), ec),
              "Eyecandies sample " + entry.file("depth.png") + " lacks " + entry.file(suffix));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

cv::Mat read_eyecandies_depth(const std::string &depth_png, const std::string &info_yaml) {
  double mind = 0, maxd = 0;
  try {
    YAML::Node info = YAML::Load(read_file(info_yaml));
    YAML::Node norm = info["normalization"];
    require(norm && norm["min"] && norm["max"],
            "depth info " + info_yaml + " lacks normalization.min / normalization.max");
    mind = norm["min"].as<double>();
    maxd = norm["max"].as<double>();
  } catch (const YAML::Exception &e) {
    throw Error("cannot read depth info " + info_yaml + ": " + e.what());
  }
  require(std::isfinite(mind) && std::isfinite(maxd) && maxd >= mind,
          "depth info " + info_yaml + ": normalization range [" + std::to_string(mind) + ", " +
              std::to_string(maxd) + "] is invalid");
  cv::Mat raw = read_depth_png(depth_png);
  cv::Mat depth;
  // Same arithmetic as the reference loader (float32: png / 65535 * (max - min) + min).
  raw.convertTo(depth, CV_32F);
  depth = depth / 65535.0f * static_cast<float>(maxd - mind) + static_cast<float>(mind);
  return depth;
}

cv::Matx44d read_pose_txt(const std::string &path) {
  std::istringstream in(read_file(path));
  cv::Matx44d m;
  for (int i = 0; i < 16; ++i) {
    double v;
    require(static_cast<bool>(in >> v),
            "pose file " + path + " must hold 16 numbers (4x4), found " + std::to_string(i));
    m(i / 4, i % 4) = v;
  }
  double extra;
  require(!(in >> extra), "pose file " + path + " holds more than 16 numbers");
  return m;
}

cv::Mat transform_cloud(const cv::Mat &xyz, const cv::Matx44d &t) {
  require(xyz.type() == CV_32FC3,
          "transform_cloud: cloud must be CV_32FC3, got " + cv::typeToString(xyz.type()));
  cv::Mat out(xyz.size(), CV_32FC3);
  for (int v = 0; v < xyz.rows; ++v) {
    const cv::Vec3f *p = xyz.ptr<cv::Vec3f>(v);
    cv::Vec3f *o = out.ptr<cv::Vec3f>(v);
    for (int u = 0; u < xyz.cols; ++u) {
      if (p[u] == cv::Vec3f(0, 0, 0)) {
        o[u] = p[u];
        continue;
      }
      const cv::Vec4d q = t * cv::Vec4d(p[u][0], p[u][1], p[u][2], 1.0);
      o[u] = cv::Vec3f(static_cast<float>(q[0] / q[3]), static_cast<float>(q[1] / q[3]),
                       static_cast<float>(q[2] / q[3]));
    }
  }
  return out;
}

EyecandiesSample load_eyecandies(const EyecandiesEntry &entry, const EyecandiesOptions &options) {
  EyecandiesSample out;
  out.depth = read_eyecandies_depth(entry.file("depth.png"), entry.file("info_depth.yaml"));
  out.pose = read_pose_txt(entry.file("pose.txt"));
  Sample &s = out.sample;
  s.rgb = read_rgb_png(entry.file("image_" + std::to_string(options.rgb_image) + ".png"));
  require(s.rgb.size() == out.depth.size(),
          "Eyecandies sample " + entry.file("depth.png") + ": RGB and depth sizes differ");
  s.xyz = depth_metres_to_cloud(out.depth, eyecandies_intrinsics(out.depth.cols, out.depth.rows));
  if (options.world_frame) {
    const cv::Matx44d inv = out.pose.inv();
    require(std::isfinite(inv(0, 0)) && std::abs(cv::determinant(out.pose)) > 1e-12,
            "pose file " + entry.file("pose.txt") + " is not invertible");
    s.xyz = transform_cloud(s.xyz, inv);
  }
  require(has_measured_point(s.xyz), "Eyecandies sample " + entry.file("depth.png") +
                                         ": no measured point (every depth is 0 or invalid)");
  std::error_code ec;
  if (fs::is_regular_file(entry.file("mask.png"), ec)) {
    s.gt = read_mask_png(entry.file("mask.png"));
    require(s.gt.size() == s.rgb.size(),
            "mask " + entry.file("mask.png") + " does not have the size of its image");
  } else {
    require(entry.split != "test", "Eyecandies test sample lacks " + entry.file("mask.png"));
  }
  s.category = entry.category;
  s.split = entry.split;
  s.id = entry.id;
  s.defect = (!s.gt.empty() && cv::countNonZero(s.gt) > 0) ? "bad" : "good";
  return out;
}

}  // namespace lsfa
