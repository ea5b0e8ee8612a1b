// The project's synthetic RGB-D defect generator (docs/synthetic-data.md): an object lying on a
// slightly tilted plane, seen from above by a pinhole depth camera, textured and shaded, with small
// defects of six kinds and exact pixel masks. Everything is deterministic: a scene is a pure
// function of its seed, and rendering a scene is a pure function of the scene.
// docs/synthetic-data.md describes it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lsfa/data/dataset_layout.h"
#include "lsfa/data/depth_camera.h"

namespace lsfa {

enum class DefectKind { kDent, kBump, kStain, kCrack, kHole, kForeignObject };

// All kinds in a fixed order: dent, bump, stain, crack, hole, foreign_object.
const std::vector<DefectKind> &all_defect_kinds();
// Directory name of a kind: "dent", "bump", "stain", "crack", "hole", "foreign_object".
std::string defect_name(DefectKind kind);
DefectKind defect_from_name(const std::string &name);  // throws lsfa::Error on unknown names
bool defect_changes_geometry(DefectKind kind);         // dent, bump, crack, hole, foreign_object
bool defect_changes_colour(DefectKind kind);           // stain, crack, hole, foreign_object

// Object categories the generator knows, sorted: "ring" (speckled dough torus), "tile" (rounded
// square tile with a woven pattern).
const std::vector<std::string> &synth_categories();

// One defect, in plane coordinates (metres; see SynthScene). Sizes are drawn by make_synth_scene.
struct SynthDefect {
  DefectKind kind = DefectKind::kDent;
  cv::Point2d centre;             // on the object's upper surface
  double radius = 0;              // footprint radius (crack: half width of the groove)
  double aspect = 1;              // minor / major axis of the elliptic footprint
  double angle = 0;               // orientation of the footprint's major axis (radians)
  double magnitude = 0;           // depth (dent, crack, hole) or height (bump, foreign object), m;
                                  // opacity 0..1 for a stain
  cv::Vec3d colour{0, 0, 0};      // stain / foreign object colour (linear RGB 0..1)
  std::vector<cv::Point2d> path;  // crack centre line (polyline)
  uint64_t shape_seed = 0;        // irregular outline of a stain
};

// Everything that defines one rendered sample. The plane has unit normal `plane_normal` (pointing
// away from the camera) and passes through (0, 0, plane_distance); plane coordinates (a, b) are
// measured along two in-plane axes close to the camera's x and y; heights are towards the camera.
struct SynthScene {
  std::string category;
  int width = 0, height = 0;
  DepthCamera camera;
  double plane_distance = 0.5;
  cv::Vec3d plane_normal{0, 0, 1};
  cv::Point2d object_centre;  // plane coordinates, m
  double object_angle = 0;    // rotation about the plane normal, radians
  double object_scale = 1;
  cv::Vec3d object_colour{0, 0, 0};  // base albedo, linear RGB 0..1
  double texture_scale = 1;          // pattern size factor
  uint64_t texture_seed = 0;         // speckles, weave irregularities, surface unevenness
  uint64_t noise_seed = 0;           // sensor noise (RGB and depth)
  double depth_noise = 0.00015;      // depth noise standard deviation, m
  double rgb_noise = 1.2;            // RGB noise standard deviation, 8-bit levels
  std::optional<SynthDefect> defect;
};

// Draws a scene of `category` from `seed`: pose, texture, noise and, when `defect` is given, a
// defect of that kind. The defect is drawn from its own stream, so the same seed with and without a
// defect gives the same object in the same pose. Throws lsfa::Error on an unknown category or a
// size below 64 x 64.
SynthScene make_synth_scene(const std::string &category, int width, int height, uint64_t seed,
                            std::optional<DefectKind> defect = std::nullopt);

// The camera the generator uses for a frame size: square pixels, f = 3.45 * min(width, height),
// principal point at the image centre, depth scale 0.1 mm per unit.
DepthCamera synth_camera(int width, int height);

struct SynthFrame {
  cv::Mat rgb;          // CV_8UC3, R,G,B
  cv::Mat depth;        // CV_16UC1, units of camera.depth_scale, 0 = no measurement
  cv::Mat xyz;          // CV_32FC3 = depth_to_cloud(depth, camera): identical to the depth stream
  cv::Mat gt;           // CV_8UC1, 255 where the defect is seen, else 0
  cv::Mat object_mask;  // CV_8UC1, 255 where the (defect-free) object is seen in RGB
};

// Renders a scene. Geometry-only defects (dent, bump) leave the RGB untouched and colour-only
// defects (stain) leave depth untouched, bit for bit.
SynthFrame render_synth_scene(const SynthScene &scene);

struct SynthOptions {
  std::string out_dir;
  std::vector<std::string> categories;  // empty = all
  uint64_t seed = 0;
  int width = 300, height = 300;
  int train = 16, validation = 4, test_good = 6, test_defect = 2;  // test_defect: per kind
  int stream =
      18;  // RGB + depth PNG sequence frames (every third defective, kinds in turn); 0 = none
  bool overwrite = false;  // replace existing category directories
  // kMvtec3d (default) or kEyecandies: the samples in the Eyecandies layout instead (see
  // write_eyecandies_synth_sample); the stream sequence is the same in both.
  DatasetLayout layout = DatasetLayout::kMvtec3d;
};

// Writes the MVTec 3D-AD or Eyecandies layout (and the stream sequence) for each category under
// out_dir, printing one line per directory written to `log` (when not null). Throws lsfa::Error on
// bad options or when a category directory exists and overwrite is false.
void generate_synth_dataset(const SynthOptions &options, std::ostream *log);

// Renders `scene` as an Eyecandies camera sees it and writes the sample files <dir>/<id>_*:
// image_4.png (the RGB the reference code uses; the other five lightings are not written),
// depth.png with info_depth.yaml (normalization min 0, so depth 0 stays "no measurement"; max the
// largest depth), pose.txt (identity: world = camera) and, when `with_mask`, mask.png. The scene's
// camera becomes the Eyecandies one (focal 711.11 px, principal point (W/2, H/2)) with the plane
// moved closer by the ratio of the focal lengths, so the object keeps its size in pixels. Returns
// the frame as rendered.
SynthFrame write_eyecandies_synth_sample(SynthScene scene, const std::string &dir,
                                         const std::string &id, bool with_mask);

// The seed of one sample, from the run seed, category, split ("train", "validation", "test",
// "stream"), defect directory name and index: samples do not depend on how many others are written.
uint64_t synth_sample_seed(uint64_t seed, const std::string &category, const std::string &split,
                           const std::string &defect, int index);

}  // namespace lsfa
