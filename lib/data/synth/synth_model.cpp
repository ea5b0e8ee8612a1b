#include "synth_model.h"

#include <algorithm>
#include <cmath>

#include "lsfa/core/error.h"
#include "synth_noise.h"

namespace lsfa::synth_detail {

namespace {

double clamp01(double x) {
  return std::min(1.0, std::max(0.0, x));
}

double segment_distance(cv::Point2d p, cv::Point2d s0, cv::Point2d s1) {
  const cv::Point2d d = s1 - s0;
  const double len2 = d.dot(d);
  const double t = len2 > 0 ? clamp01((p - s0).dot(d) / len2) : 0.0;
  const cv::Point2d q = s0 + t * d;
  return std::hypot(p.x - q.x, p.y - q.y);
}

}  // namespace

SceneModel::SceneModel(const SynthScene &scene) : scene_(scene) {
  ring_ = scene.category == "ring";
  cos_ = std::cos(scene.object_angle);
  sin_ = std::sin(scene.object_angle);
  const double s = scene.object_scale;
  // The same bound with and without a defect, so that rays away from the defect are marched through
  // exactly the same points and come out bit-identical.
  max_height_ = s * ((ring_ ? kRingHeight : kTileHeight) + 0.0006) + 0.0005 + kMaxDefectRise;
  bound_radius_ =
      s * (ring_ ? kRingMajor * 1.011 + kRingMinor : kTileHalf * std::sqrt(2.0)) + 0.001;
  if (scene.defect) {
    const SynthDefect &d = *scene.defect;
    require((d.kind != DefectKind::kBump && d.kind != DefectKind::kForeignObject) ||
                d.magnitude <= kMaxDefectRise,
            "synthetic scene: defect height exceeds " + std::to_string(kMaxDefectRise) + " m");
  }
}

cv::Point2d SceneModel::to_object(double a, double b) const {
  const double x = a - scene_.object_centre.x, y = b - scene_.object_centre.y;
  return cv::Point2d(cos_ * x + sin_ * y, -sin_ * x + cos_ * y) / scene_.object_scale;
}

double SceneModel::ring_height(cv::Point2d o) const {
  const double rho = std::hypot(o.x, o.y);
  // Outside the widest possible tube (radius wobble is at most 1 %): skip the noise.
  if (std::abs(rho - kRingMajor) >= kRingMinor + 0.011 * kRingMajor) return 0;
  // Per-sample irregularity of the ring radius and low, smooth unevenness of the dough.
  const double wobble =
      value_noise(scene_.texture_seed + 7, 1.5 * o.x / rho + 5, 1.5 * o.y / rho + 5) - 0.5;
  const double major = kRingMajor * (1 + 0.02 * wobble);
  const double t = (rho - major) / kRingMinor;
  if (std::abs(t) >= 1) return 0;
  const double profile = std::sqrt(1 - t * t);
  const double uneven = value_noise(scene_.texture_seed + 11, o.x / 0.006, o.y / 0.006) - 0.5;
  return (kRingHeight + 0.0006 * uneven) * profile;
}

double SceneModel::tile_height(cv::Point2d o) const {
  const double x = std::abs(o.x), y = std::abs(o.y);
  if (x >= kTileHalf || y >= kTileHalf) return 0;
  const double d = std::pow(std::pow(x, 6) + std::pow(y, 6), 1.0 / 6.0);  // rounded square
  const double e = kTileHalf - d;
  if (e <= 0) return 0;
  const double s = std::min(1.0, e / kTileBevel);
  const double edge = std::sqrt(1 - (1 - s) * (1 - s));  // quarter-round bevel
  const double warp = value_noise(scene_.texture_seed + 13, o.x / 0.01, o.y / 0.01) - 0.5;
  return (kTileHeight + 0.0004 * warp) * edge;
}

double SceneModel::object_height(double a, double b) const {
  const cv::Point2d o = to_object(a, b);
  return scene_.object_scale * (ring_ ? ring_height(o) : tile_height(o));
}

double SceneModel::footprint(double a, double b) const {
  const SynthDefect &d = *scene_.defect;
  const double x = a - d.centre.x, y = b - d.centre.y;
  const double ca = std::cos(d.angle), sa = std::sin(d.angle);
  const double p = (ca * x + sa * y) / d.radius, q = (-sa * x + ca * y) / (d.radius * d.aspect);
  double r = std::hypot(p, q);
  if (d.kind == DefectKind::kStain)  // irregular outline
    r *= 1 + 0.35 * (value_noise(d.shape_seed, 1.5 * p + 20, 1.5 * q + 20) - 0.5);
  return r;
}

double SceneModel::crack_distance(double a, double b) const {
  const auto &path = scene_.defect->path;
  double best = 1e9;
  for (size_t i = 1; i < path.size(); ++i)
    best = std::min(best, segment_distance({a, b}, path[i - 1], path[i]));
  return best;
}

double SceneModel::defect_height(double a, double b) const {
  if (!scene_.defect) return 0;
  const SynthDefect &d = *scene_.defect;
  switch (d.kind) {
    case DefectKind::kStain:
      return 0;
    case DefectKind::kCrack: {
      const double dist = crack_distance(a, b);
      return dist < d.radius ? -d.magnitude * (1 - dist / d.radius) : 0;  // V-shaped groove
    }
    default:
      break;
  }
  const double q = footprint(a, b);
  if (q >= 1) return 0;
  const double bell = (1 - q * q) * (1 - q * q);
  switch (d.kind) {
    case DefectKind::kDent:
      return -d.magnitude * bell;
    case DefectKind::kBump:
      return d.magnitude * bell;
    case DefectKind::kHole:  // steep-walled pit
      return q < 0.7 ? -d.magnitude : -d.magnitude * (1 - (q - 0.7) / 0.3);
    case DefectKind::kForeignObject:
      return d.magnitude * std::sqrt(1 - q * q);
    default:
      return 0;
  }
}

bool SceneModel::in_defect(double a, double b) const {
  if (!scene_.defect) return false;
  if (scene_.defect->kind == DefectKind::kCrack)
    return crack_distance(a, b) < scene_.defect->radius;
  return footprint(a, b) < 1;
}

cv::Vec3d SceneModel::ring_albedo(cv::Point2d o, double h) const {
  const double ts = 0.0014 * scene_.texture_scale;  // speckle cell size
  const double hn = clamp01(h / (kRingHeight * scene_.object_scale));
  // Baked top is darker than the sides; mottled dough.
  const double tone =
      (0.8 + 0.28 * (1 - hn)) *
      (0.9 + 0.2 * fbm(scene_.texture_seed + 3, o.x / (0.004 * scene_.texture_scale),
                       o.y / (0.004 * scene_.texture_scale)));
  cv::Vec3d c = scene_.object_colour * tone;
  // Speckles: at most one per cell, fully inside its cell.
  const int64_t i = static_cast<int64_t>(std::floor(o.x / ts));
  const int64_t j = static_cast<int64_t>(std::floor(o.y / ts));
  const uint64_t h0 = hash3(scene_.texture_seed + 17, i, j);
  if (unit(h0) < 0.3) {
    const double cx = (i + 0.35 + 0.3 * unit(mix64(h0 + 1))) * ts;
    const double cy = (j + 0.35 + 0.3 * unit(mix64(h0 + 2))) * ts;
    const double radius = (0.2 + 0.15 * unit(mix64(h0 + 3))) * ts;
    if (std::hypot(o.x - cx, o.y - cy) < radius)
      c = unit(mix64(h0 + 4)) < 0.7 ? cv::Vec3d(0.22, 0.13, 0.07) : cv::Vec3d(0.93, 0.88, 0.72);
  }
  return c;
}

cv::Vec3d SceneModel::tile_albedo(cv::Point2d o) const {
  const double cell = 0.006 * scene_.texture_scale;  // basket weave: 3 strands per cell
  const int64_t ci = static_cast<int64_t>(std::floor(o.x / cell));
  const int64_t cj = static_cast<int64_t>(std::floor(o.y / cell));
  const bool along_x = ((ci + cj) % 2 + 2) % 2 == 0;
  const double across = (along_x ? o.y : o.x) / (cell / 3);
  const double phase = across - std::floor(across);
  const double strand = 0.68 + 0.32 * std::sin(3.141592653589793 * phase);
  const double fibre = 0.93 + 0.14 * fbm(scene_.texture_seed + 5, o.x / 0.002, o.y / 0.002);
  const cv::Vec3d weft(0.86, 0.80, 0.66);
  return (along_x ? scene_.object_colour : weft) * (strand * fibre);
}

cv::Vec3d SceneModel::albedo(double a, double b, bool with_defect) const {
  const double h = object_height(a, b);
  cv::Vec3d c;
  if (h > 0) {
    const cv::Point2d o = to_object(a, b);
    c = ring_ ? ring_albedo(o, h) : tile_albedo(o);
  } else {  // conveyor belt
    c = cv::Vec3d(0.30, 0.32, 0.35) *
        (0.85 + 0.3 * fbm(scene_.texture_seed + 50, a / 0.005, b / 0.005));
  }
  if (!with_defect || !scene_.defect || !in_defect(a, b)) return c;
  const SynthDefect &d = *scene_.defect;
  switch (d.kind) {
    case DefectKind::kStain:
      return c * (1 - d.magnitude) + d.colour * d.magnitude;
    case DefectKind::kCrack:
      return c * (0.25 + 0.35 * crack_distance(a, b) / d.radius);
    case DefectKind::kHole:
      return c * (0.2 + 0.5 * std::max(0.0, (footprint(a, b) - 0.7) / 0.3));
    case DefectKind::kForeignObject:
      return d.colour * (0.9 + 0.2 * value_noise(d.shape_seed, a / 0.001, b / 0.001));
    default:
      return c;
  }
}

}  // namespace lsfa::synth_detail
