#include "lsfa/data/depth_camera.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "lsfa/core/error.h"
#include "lsfa/io/atomic_file.h"

namespace lsfa {

Intrinsics Intrinsics::scaled(int from_w, int from_h, int to_w, int to_h) const {
  require(from_w > 0 && from_h > 0 && to_w > 0 && to_h > 0,
          "intrinsics: frame sizes must be positive, got " + std::to_string(from_w) + "x" +
              std::to_string(from_h) + " -> " + std::to_string(to_w) + "x" + std::to_string(to_h));
  const double sx = static_cast<double>(to_w) / from_w;
  const double sy = static_cast<double>(to_h) / from_h;
  return Intrinsics{fx * sx, fy * sy, (cx + 0.5) * sx - 0.5, (cy + 0.5) * sy - 0.5};
}

namespace {

constexpr double kMaxSide = 1 << 20;  // frame side in pixels, far beyond any depth camera

void check_intrinsics(const Intrinsics &k) {
  require(std::isfinite(k.fx) && std::isfinite(k.fy) && k.fx > 0 && k.fy > 0,
          "intrinsics: focal lengths must be positive (fx=" + std::to_string(k.fx) +
              ", fy=" + std::to_string(k.fy) + ")");
  require(std::isfinite(k.cx) && std::isfinite(k.cy), "intrinsics: principal point not finite");
}

}  // namespace

cv::Mat depth_metres_to_cloud(const cv::Mat &depth_m, const Intrinsics &k) {
  require(depth_m.type() == CV_32FC1,
          "depth_metres_to_cloud: depth must be CV_32FC1, got " + cv::typeToString(depth_m.type()));
  check_intrinsics(k);
  cv::Mat xyz(depth_m.size(), CV_32FC3);
  for (int v = 0; v < depth_m.rows; ++v) {
    const float *d = depth_m.ptr<float>(v);
    cv::Vec3f *out = xyz.ptr<cv::Vec3f>(v);
    for (int u = 0; u < depth_m.cols; ++u) {
      const double z = d[u];
      if (!(z > 0) || !std::isfinite(z)) {
        out[u] = cv::Vec3f(0, 0, 0);
        continue;
      }
      out[u] = cv::Vec3f(static_cast<float>((u - k.cx) * z / k.fx),
                         static_cast<float>((v - k.cy) * z / k.fy), static_cast<float>(z));
    }
  }
  return xyz;
}

cv::Mat depth_to_cloud(const cv::Mat &depth16, double depth_scale, const Intrinsics &k) {
  require(depth16.type() == CV_16UC1,
          "depth_to_cloud: depth must be CV_16UC1, got " + cv::typeToString(depth16.type()));
  require(depth_scale > 0 && std::isfinite(depth_scale),
          "depth_to_cloud: depth scale must be positive, got " + std::to_string(depth_scale));
  check_intrinsics(k);
  cv::Mat xyz(depth16.size(), CV_32FC3);
  for (int v = 0; v < depth16.rows; ++v) {
    const uint16_t *d = depth16.ptr<uint16_t>(v);
    cv::Vec3f *out = xyz.ptr<cv::Vec3f>(v);
    for (int u = 0; u < depth16.cols; ++u) {
      if (d[u] == 0) {
        out[u] = cv::Vec3f(0, 0, 0);
        continue;
      }
      const double z = d[u] * depth_scale;
      out[u] = cv::Vec3f(static_cast<float>((u - k.cx) * z / k.fx),
                         static_cast<float>((v - k.cy) * z / k.fy), static_cast<float>(z));
    }
  }
  return xyz;
}

cv::Mat cloud_to_depth(const cv::Mat &xyz, double depth_scale) {
  require(xyz.type() == CV_32FC3,
          "cloud_to_depth: cloud must be CV_32FC3, got " + cv::typeToString(xyz.type()));
  require(depth_scale > 0 && std::isfinite(depth_scale),
          "cloud_to_depth: depth scale must be positive, got " + std::to_string(depth_scale));
  cv::Mat depth(xyz.size(), CV_16UC1);
  for (int v = 0; v < xyz.rows; ++v) {
    const cv::Vec3f *p = xyz.ptr<cv::Vec3f>(v);
    uint16_t *out = depth.ptr<uint16_t>(v);
    for (int u = 0; u < xyz.cols; ++u) {
      const double z = p[u][2];
      if (!(z > 0) || !std::isfinite(z)) {
        out[u] = 0;
        continue;
      }
      const double d = std::round(z / depth_scale);
      require(d <= 65535.0, "cloud_to_depth: z = " + std::to_string(z) + " m at (" +
                                std::to_string(u) + "," + std::to_string(v) +
                                ") exceeds the 16-bit range for depth scale " +
                                std::to_string(depth_scale));
      out[u] = static_cast<uint16_t>(d);
    }
  }
  return depth;
}

DepthCamera read_camera_json(const std::string &path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception &e) {
    throw Error("intrinsics file " + path + " is not valid JSON: " + e.what());
  }
  require(j.is_object(), "intrinsics file " + path + " must hold a JSON object");
  auto number = [&](const char *key) {
    require(j.contains(key), "intrinsics file " + path + " lacks key \"" + key + "\"");
    require(j[key].is_number(), "intrinsics file " + path + ": \"" + key + "\" must be a number");
    return j[key].get<double>();
  };
  DepthCamera cam;
  cam.intrinsics = {number("fx"), number("fy"), number("cx"), number("cy")};
  const double w = number("width"), h = number("height");
  // Bounded before the cast to int: 1e20 would not fit (undefined behaviour, a negative size).
  require(w >= 1 && h >= 1 && w <= kMaxSide && h <= kMaxSide && w == std::floor(w) &&
              h == std::floor(h),
          "intrinsics file " + path + ": width and height must be integers from 1 to " +
              std::to_string(static_cast<int>(kMaxSide)));
  cam.width = static_cast<int>(w);
  cam.height = static_cast<int>(h);
  cam.depth_scale = number("depth_scale");
  require(cam.depth_scale > 0, "intrinsics file " + path + ": \"depth_scale\" must be positive");
  try {
    check_intrinsics(cam.intrinsics);
  } catch (const Error &e) {
    throw Error("intrinsics file " + path + ": " + e.what());
  }
  return cam;
}

void write_camera_json(const std::string &path, const DepthCamera &camera) {
  nlohmann::ordered_json j;
  j["fx"] = camera.intrinsics.fx;
  j["fy"] = camera.intrinsics.fy;
  j["cx"] = camera.intrinsics.cx;
  j["cy"] = camera.intrinsics.cy;
  j["width"] = camera.width;
  j["height"] = camera.height;
  j["depth_scale"] = camera.depth_scale;
  write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace lsfa
