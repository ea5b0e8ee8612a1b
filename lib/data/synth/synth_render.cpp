// Rendering a synthetic scene: ray-marching the height field for depth and colour, shading, and
// the sensor model (noise, quantisation, drop-outs on steep surfaces).
#include <cmath>
#include <opencv2/core/utility.hpp>

#include "lsfa/core/error.h"
#include "lsfa/data/synth.h"
#include "synth_model.h"
#include "synth_noise.h"

namespace lsfa {

using synth_detail::gaussian;
using synth_detail::hash3;
using synth_detail::SceneModel;

namespace {

constexpr int kMarchSteps = 24;
constexpr int kBisections = 20;
constexpr double kGradientStep = 0.0001;  // m, for surface normals
constexpr double kMinViewCosine = 0.12;   // steeper surfaces give no depth measurement

cv::Vec3d normalized(cv::Vec3d v) {
  return v / cv::norm(v);
}

class Renderer {
 public:
  explicit Renderer(const SynthScene &scene) : scene_(scene), model_(scene) {
    n_ = normalized(scene.plane_normal);
    require(n_[2] > 0.5, "synthetic scene: plane normal must face the camera");
    e1_ = normalized(cv::Vec3d(1, 0, 0) - n_[0] * n_);
    e2_ = n_.cross(e1_);
    p0_ = cv::Vec3d(0, 0, scene.plane_distance);
    c_ = p0_.dot(n_);
    light_ = normalized(cv::Vec3d(-0.4, -0.5, -1.0));
  }

  double height(double a, double b, bool with_defect) const {
    const double h = model_.object_height(a, b);
    return with_defect ? h + model_.defect_height(a, b) : h;
  }

  cv::Point2d plane_coords(const cv::Vec3d &x) const {
    const cv::Vec3d w = x - p0_;
    return {w.dot(e1_), w.dot(e2_)};
  }

  // Depth (= ray parameter, since the ray has z = 1) of the first surface hit along ray r.
  double intersect(const cv::Vec3d &r, bool with_defect) const {
    const double rn = r.dot(n_);
    const double plane_hit = c_ / rn;
    const double top = (c_ - model_.max_height()) / rn;
    // Rays that pass the object's bounding cylinder hit the plane.
    const cv::Point2d pa = plane_coords(top * r), pb = plane_coords(plane_hit * r);
    const cv::Point2d d = pb - pa, centre = model_.centre();
    const double len2 = d.dot(d);
    const double t = len2 > 0 ? std::min(1.0, std::max(0.0, (centre - pa).dot(d) / len2)) : 0.0;
    const cv::Point2d closest = pa + t * d;
    if (std::hypot(closest.x - centre.x, closest.y - centre.y) > model_.bound_radius())
      return plane_hit;
    auto above = [&](double lambda) {  // height of the ray point above the surface
      const cv::Point2d p = plane_coords(lambda * r);
      return (c_ - lambda * rn) - height(p.x, p.y, with_defect);
    };
    const double step = (plane_hit - top) / kMarchSteps;
    double lo = top;
    for (int k = 1; k <= kMarchSteps; ++k) {
      const double hi = k == kMarchSteps ? plane_hit : top + k * step;
      if (above(hi) <= 0) {
        double a = lo, b = hi;
        for (int i = 0; i < kBisections; ++i) {
          const double m = 0.5 * (a + b);
          (above(m) > 0 ? a : b) = m;
        }
        return 0.5 * (a + b);
      }
      lo = hi;
    }
    return plane_hit;
  }

  // Unit surface normal at plane coordinates p, pointing towards the camera.
  cv::Vec3d normal(cv::Point2d p, bool with_defect) const {
    const double s = kGradientStep;
    const double ha =
        (height(p.x + s, p.y, with_defect) - height(p.x - s, p.y, with_defect)) / (2 * s);
    const double hb =
        (height(p.x, p.y + s, with_defect) - height(p.x, p.y - s, with_defect)) / (2 * s);
    return -normalized(n_ + ha * e1_ + hb * e2_);
  }

  // Whether the defect geometry influences what is seen at p: the point itself or one of the
  // points its surface normal is computed from lies in the defect (shading and drop-outs depend
  // on the normal).
  bool touches_defect(cv::Point2d p) const {
    const double s = kGradientStep;
    return model_.in_defect(p.x, p.y) || model_.in_defect(p.x + s, p.y) ||
           model_.in_defect(p.x - s, p.y) || model_.in_defect(p.x, p.y + s) ||
           model_.in_defect(p.x, p.y - s);
  }

  SynthFrame render() const {
    const int w = scene_.width, h = scene_.height;
    const Intrinsics &k = scene_.camera.intrinsics;
    const double scale = scene_.camera.depth_scale;
    const bool defect = scene_.defect.has_value();
    const bool depth_defect = defect && defect_changes_geometry(scene_.defect->kind);
    const bool colour_defect = defect && defect_changes_colour(scene_.defect->kind);
    // Colour sees the defect's geometry only when the defect is visible in colour at all.
    const bool colour_geometry = depth_defect && colour_defect;
    SynthFrame f;
    f.rgb.create(h, w, CV_8UC3);
    f.depth.create(h, w, CV_16UC1);
    f.gt.create(h, w, CV_8UC1);
    f.object_mask.create(h, w, CV_8UC1);
    cv::parallel_for_(cv::Range(0, h), [&](const cv::Range &rows) {
      for (int v = rows.start; v < rows.end; ++v) {
        for (int u = 0; u < w; ++u) {
          const cv::Vec3d r((u - k.cx) / k.fx, (v - k.cy) / k.fy, 1.0);
          const cv::Vec3d view = -normalized(r);
          // Depth.
          const double zd = intersect(r, depth_defect);
          const cv::Point2d pd = plane_coords(zd * r);
          const cv::Vec3d nd = normal(pd, depth_defect);
          uint16_t d16 = 0;
          if (nd.dot(view) >= kMinViewCosine) {
            const double z = zd + scene_.depth_noise * gaussian(hash3(scene_.noise_seed, u, v));
            d16 = static_cast<uint16_t>(std::lround(std::min(65535.0, std::max(0.0, z / scale))));
          }
          f.depth.at<uint16_t>(v, u) = d16;
          // Colour.
          const double zc = colour_geometry == depth_defect ? zd : intersect(r, colour_geometry);
          const cv::Point2d pc = zc == zd ? pd : plane_coords(zc * r);
          const cv::Vec3d nc =
              zc == zd && colour_geometry == depth_defect ? nd : normal(pc, colour_geometry);
          const cv::Vec3d albedo = model_.albedo(pc.x, pc.y, colour_defect);
          const double shade = 0.3 + 0.8 * std::max(0.0, nc.dot(light_));
          cv::Vec3b &px = f.rgb.at<cv::Vec3b>(v, u);
          for (int c = 0; c < 3; ++c) {
            const double linear = std::min(1.0, std::max(0.0, albedo[c] * shade));
            const double noise =
                scene_.rgb_noise * gaussian(hash3(scene_.noise_seed + 1 + c, u, v));
            const double value = 255.0 * std::pow(linear, 1 / 2.2) + noise;
            px[c] = static_cast<uint8_t>(std::lround(std::min(255.0, std::max(0.0, value))));
          }
          // Ground truth: where the defect is what the camera sees, in either modality.
          const bool seen = (depth_defect && touches_defect(pd)) ||
                            (colour_defect &&
                             (colour_geometry ? touches_defect(pc) : model_.in_defect(pc.x, pc.y)));
          f.gt.at<uint8_t>(v, u) = seen ? 255 : 0;
          f.object_mask.at<uint8_t>(v, u) = model_.object_height(pc.x, pc.y) > 0 ? 255 : 0;
        }
      }
    });
    f.xyz = depth_to_cloud(f.depth, scale, k);
    return f;
  }

 private:
  const SynthScene &scene_;
  SceneModel model_;
  cv::Vec3d n_, e1_, e2_, p0_, light_;
  double c_ = 0;
};

}  // namespace

SynthFrame render_synth_scene(const SynthScene &scene) {
  require(scene.width > 0 && scene.height > 0, "synthetic scene has no size");
  require(scene.camera.depth_scale > 0, "synthetic scene: depth scale must be positive");
  return Renderer(scene).render();
}

}  // namespace lsfa
