// Drawing synthetic scenes: categories, defect kinds, poses and defect parameters.
#include <algorithm>
#include <cmath>

#include "lsfa/core/error.h"
#include "lsfa/data/synth.h"
#include "synth_model.h"
#include "synth_noise.h"

namespace lsfa {

using synth_detail::kRingMajor;
using synth_detail::kRingMinor;
using synth_detail::mix64;
using synth_detail::Rng;

namespace {
constexpr double kPi = 3.141592653589793;
}  // namespace

const std::vector<DefectKind> &all_defect_kinds() {
  static const std::vector<DefectKind> kinds = {DefectKind::kDent,  DefectKind::kBump,
                                                DefectKind::kStain, DefectKind::kCrack,
                                                DefectKind::kHole,  DefectKind::kForeignObject};
  return kinds;
}

std::string defect_name(DefectKind kind) {
  switch (kind) {
    case DefectKind::kDent:
      return "dent";
    case DefectKind::kBump:
      return "bump";
    case DefectKind::kStain:
      return "stain";
    case DefectKind::kCrack:
      return "crack";
    case DefectKind::kHole:
      return "hole";
    case DefectKind::kForeignObject:
      return "foreign_object";
  }
  return "unknown";
}

DefectKind defect_from_name(const std::string &name) {
  for (DefectKind k : all_defect_kinds())
    if (defect_name(k) == name) return k;
  throw Error("unknown defect kind \"" + name +
              "\" (expected dent, bump, stain, crack, hole or foreign_object)");
}

bool defect_changes_geometry(DefectKind kind) {
  return kind != DefectKind::kStain;
}

bool defect_changes_colour(DefectKind kind) {
  return kind != DefectKind::kDent && kind != DefectKind::kBump;
}

const std::vector<std::string> &synth_categories() {
  static const std::vector<std::string> names = {"ring", "tile"};
  return names;
}

DepthCamera synth_camera(int width, int height) {
  DepthCamera cam;
  const double f = 3.45 * std::min(width, height);
  cam.intrinsics = Intrinsics{f, f, (width - 1) / 2.0, (height - 1) / 2.0};
  cam.width = width;
  cam.height = height;
  cam.depth_scale = 0.0001;
  return cam;
}

uint64_t synth_sample_seed(uint64_t seed, const std::string &category, const std::string &split,
                           const std::string &defect, int index) {
  auto text_hash = [](const std::string &s) {  // FNV-1a
    uint64_t h = 0xCBF29CE484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
    return h;
  };
  uint64_t h = mix64(seed);
  h = mix64(h ^ text_hash(category));
  h = mix64(h ^ text_hash(split));
  h = mix64(h ^ text_hash(defect));
  return mix64(h ^ static_cast<uint64_t>(index));
}

namespace {

// A point on the upper surface of the object, in object coordinates (before scaling).
cv::Point2d top_surface_point(const std::string &category, Rng &rng) {
  if (category == "ring") {
    const double phi = rng.uniform(0, 2 * kPi);
    const double rho = kRingMajor + kRingMinor * rng.uniform(-0.35, 0.35);
    return {rho * std::cos(phi), rho * std::sin(phi)};
  }
  return {rng.uniform(-0.018, 0.018), rng.uniform(-0.018, 0.018)};
}

SynthDefect draw_defect(DefectKind kind, const SynthScene &scene, Rng &rng) {
  SynthDefect d;
  d.kind = kind;
  const cv::Point2d o = top_surface_point(scene.category, rng);
  const double c = std::cos(scene.object_angle), s = std::sin(scene.object_angle);
  d.centre =
      scene.object_centre + scene.object_scale * cv::Point2d(c * o.x - s * o.y, s * o.x + c * o.y);
  d.angle = rng.uniform(0, kPi);
  d.shape_seed = rng.next();
  static const cv::Vec3d stains[] = {{0.42, 0.30, 0.20}, {0.30, 0.32, 0.25}, {0.58, 0.22, 0.18}};
  static const cv::Vec3d foreign[] = {{0.15, 0.35, 0.75}, {0.20, 0.60, 0.25}, {0.85, 0.85, 0.88}};
  switch (kind) {
    case DefectKind::kDent:
    case DefectKind::kBump:
      d.radius = rng.uniform(0.0025, 0.0035);
      d.aspect = rng.uniform(0.7, 1.0);
      d.magnitude = rng.uniform(0.0015, 0.003);
      break;
    case DefectKind::kStain:
      d.radius = rng.uniform(0.0025, 0.0032);
      d.aspect = rng.uniform(0.65, 1.0);
      d.magnitude = rng.uniform(0.55, 0.75);
      d.colour = stains[rng.below(3)];
      break;
    case DefectKind::kCrack: {
      d.radius = rng.uniform(0.0004, 0.0006);
      d.magnitude = rng.uniform(0.0015, 0.0025);
      const double length = rng.uniform(0.010, 0.015);
      double heading = d.angle;
      std::vector<cv::Point2d> path = {{0, 0}};
      for (int i = 0; i < 4; ++i) {
        heading += rng.uniform(-0.5, 0.5);
        path.push_back(path.back() +
                       (length / 4) * cv::Point2d(std::cos(heading), std::sin(heading)));
      }
      const cv::Point2d mid = (path.front() + path.back()) * 0.5;
      for (auto &p : path) p = p - mid + d.centre;
      d.path = path;
      break;
    }
    case DefectKind::kHole:
      d.radius = rng.uniform(0.0018, 0.0025);
      d.magnitude = rng.uniform(0.003, 0.004);
      break;
    case DefectKind::kForeignObject:
      d.radius = rng.uniform(0.002, 0.003);
      d.aspect = rng.uniform(0.6, 1.0);
      d.magnitude = rng.uniform(0.002, 0.0035);
      d.colour = foreign[rng.below(3)];
      break;
  }
  return d;
}

}  // namespace

SynthScene make_synth_scene(const std::string &category, int width, int height, uint64_t seed,
                            std::optional<DefectKind> defect) {
  const auto &cats = synth_categories();
  require(std::find(cats.begin(), cats.end(), category) != cats.end(),
          "unknown synthetic category \"" + category + "\" (expected ring or tile)");
  require(width >= 64 && height >= 64 && width <= 8192 && height <= 8192,
          "synthetic frame size " + std::to_string(width) + "x" + std::to_string(height) +
              " is out of range (64..8192)");
  SynthScene scene;
  scene.category = category;
  scene.width = width;
  scene.height = height;
  scene.camera = synth_camera(width, height);
  Rng rng(mix64(seed ^ 0x5CE7E5EEDull));
  scene.plane_distance = rng.uniform(0.49, 0.51);
  const double tilt = rng.uniform(0.035, 0.10), tilt_dir = rng.uniform(0, 2 * kPi);
  scene.plane_normal = cv::Vec3d(std::sin(tilt) * std::cos(tilt_dir),
                                 std::sin(tilt) * std::sin(tilt_dir), std::cos(tilt));
  scene.object_centre = {rng.uniform(-0.008, 0.008), rng.uniform(-0.008, 0.008)};
  scene.object_angle = rng.uniform(0, 2 * kPi);
  scene.object_scale = rng.uniform(0.95, 1.05);
  const cv::Vec3d base =
      category == "ring" ? cv::Vec3d(0.80, 0.56, 0.30) : cv::Vec3d(0.50, 0.58, 0.70);
  for (int c = 0; c < 3; ++c) scene.object_colour[c] = base[c] * rng.uniform(0.95, 1.05);
  scene.texture_scale = rng.uniform(0.92, 1.08);
  scene.texture_seed = rng.next();
  scene.noise_seed = rng.next();
  if (defect) {
    Rng defect_rng(mix64(seed ^ 0xDEFEC7ull));
    scene.defect = draw_defect(*defect, scene, defect_rng);
  }
  return scene;
}

}  // namespace lsfa
