// Internal to the synthetic generator: the scene as functions of plane coordinates (a, b) in
// metres: object height above the plane, defect height change, defect footprint and surface albedo.
#pragma once

#include "lsfa/data/synth.h"

namespace lsfa::synth_detail {

class SceneModel {
 public:
  explicit SceneModel(const SynthScene &scene);

  double object_height(double a, double b) const;  // defect-free height above the plane, >= 0
  double defect_height(double a, double b) const;  // height change made by the defect (0 outside)
  bool in_defect(double a, double b) const;        // inside the defect's footprint
  // Albedo (linear RGB 0..1) of the surface at (a, b); includes the defect's colour change when
  // with_defect is true.
  cv::Vec3d albedo(double a, double b, bool with_defect) const;

  double max_height() const { return max_height_; }      // upper bound of object + defect height
  double bound_radius() const { return bound_radius_; }  // object footprint radius around centre
  cv::Point2d centre() const { return scene_.object_centre; }

 private:
  cv::Point2d to_object(double a, double b) const;  // object coordinates before scaling
  double ring_height(cv::Point2d o) const;
  double tile_height(cv::Point2d o) const;
  cv::Vec3d ring_albedo(cv::Point2d o, double h) const;
  cv::Vec3d tile_albedo(cv::Point2d o) const;
  double footprint(double a, double b) const;  // normalised distance: < 1 inside (not crack)
  double crack_distance(double a, double b) const;

  const SynthScene &scene_;
  bool ring_ = true;
  double cos_ = 1, sin_ = 0;
  double max_height_ = 0, bound_radius_ = 0;
};

// Ring (torus) and tile dimensions before the per-sample scale, metres.
constexpr double kRingMajor = 0.027, kRingMinor = 0.012, kRingHeight = 0.016;
// Highest rise a bump or foreign object may have, m.
constexpr double kMaxDefectRise = 0.004;
constexpr double kTileHalf = 0.028, kTileBevel = 0.004, kTileHeight = 0.011;

}  // namespace lsfa::synth_detail
