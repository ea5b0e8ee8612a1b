#include "lsfa/preprocess/plane_removal.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/preprocess/valid_point.h"

namespace lsfa {
namespace {

struct P3 {
  double x, y, z;
};

// Valid points of the frame of width `border` (rows first, then the side columns of the middle
// rows, so no pixel is taken twice).
std::vector<P3> border_points(const cv::Mat &xyz, int border) {
  std::vector<P3> pts;
  const int h = xyz.rows, w = xyz.cols;
  const int b = std::max(0, border);
  auto take = [&](int r, int c) {
    const float *p = xyz.ptr<float>(r) + 3 * c;
    if (valid_point(p)) pts.push_back({p[0], p[1], p[2]});
  };
  for (int r = 0; r < h; ++r) {
    const bool full_row = r < b || r >= h - b;
    if (full_row) {
      for (int c = 0; c < w; ++c) take(r, c);
    } else {
      for (int c = 0; c < std::min(b, w); ++c) take(r, c);
      for (int c = std::max(b, w - b); c < w; ++c) take(r, c);
    }
  }
  return pts;
}

// Small deterministic generator (splitmix64), the same on every platform and library.
struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

bool plane_through(const P3 &p, const P3 &q, const P3 &r, Plane *out) {
  const double ux = q.x - p.x, uy = q.y - p.y, uz = q.z - p.z;
  const double vx = r.x - p.x, vy = r.y - p.y, vz = r.z - p.z;
  double a = uy * vz - uz * vy, b = uz * vx - ux * vz, c = ux * vy - uy * vx;
  const double n = std::sqrt(a * a + b * b + c * c);
  const double scale =
      std::sqrt(ux * ux + uy * uy + uz * uz) * std::sqrt(vx * vx + vy * vy + vz * vz);
  if (!(n > 1e-9 * scale) || n == 0) return false;  // collinear or repeated points
  a /= n, b /= n, c /= n;
  *out = {a, b, c, -(a * p.x + b * p.y + c * p.z)};
  return true;
}

int count_inliers(const std::vector<P3> &pts, const Plane &pl, double dist) {
  int n = 0;
  for (const P3 &p : pts) n += std::abs(pl.a * p.x + pl.b * p.y + pl.c * p.z + pl.d) < dist;
  return n;
}

// Total least squares plane through the inliers of `pl`: centroid and the eigenvector of the
// smallest eigenvalue of the covariance. Keeps `pl` when the inliers are degenerate.
Plane refit(const std::vector<P3> &pts, const Plane &pl, double dist) {
  double sx = 0, sy = 0, sz = 0;
  int n = 0;
  for (const P3 &p : pts) {
    if (pl.distance(p.x, p.y, p.z) < dist) sx += p.x, sy += p.y, sz += p.z, ++n;
  }
  if (n < 3) return pl;
  const double mx = sx / n, my = sy / n, mz = sz / n;
  cv::Matx33d cov = cv::Matx33d::zeros();
  for (const P3 &p : pts) {
    if (pl.distance(p.x, p.y, p.z) >= dist) continue;
    const double dx = p.x - mx, dy = p.y - my, dz = p.z - mz;
    cov(0, 0) += dx * dx, cov(0, 1) += dx * dy, cov(0, 2) += dx * dz;
    cov(1, 1) += dy * dy, cov(1, 2) += dy * dz, cov(2, 2) += dz * dz;
  }
  cov(1, 0) = cov(0, 1), cov(2, 0) = cov(0, 2), cov(2, 1) = cov(1, 2);
  cv::Mat values, vectors;
  if (!cv::eigen(cov, values, vectors)) return pl;
  // Eigenvalues are sorted descending; a rank < 2 covariance means a line, not a plane.
  if (!(values.at<double>(1) > 0)) return pl;
  Plane out;
  out.a = vectors.at<double>(2, 0), out.b = vectors.at<double>(2, 1),
  out.c = vectors.at<double>(2, 2);
  const double norm = std::sqrt(out.a * out.a + out.b * out.b + out.c * out.c);
  if (!(norm > 0)) return pl;
  out.a /= norm, out.b /= norm, out.c /= norm;
  // Keep the sign of the RANSAC normal so results do not flip between similar frames.
  if (out.a * pl.a + out.b * pl.b + out.c * pl.c < 0)
    out.a = -out.a, out.b = -out.b, out.c = -out.c;
  out.d = -(out.a * mx + out.b * my + out.c * mz);
  return out;
}

}  // namespace

std::optional<PlaneFit> fit_border_plane(const cv::Mat &xyz, int border, double inlier_distance,
                                         int max_iterations) {
  require(xyz.type() == CV_32FC3, "plane removal: the cloud must be float32 3-channel");
  const std::vector<P3> pts = border_points(xyz, border);
  const size_t n = pts.size();
  if (n < 3) return std::nullopt;

  SplitMix rng{0x4C5346415F504C4Eull};  // fixed seed: identical fits for identical input
  Plane best;
  int best_inliers = -1;
  // Adaptive stop: enough samples that an all-inlier sample was drawn with probability 0.9999,
  // given the best inlier ratio so far (capped by max_iterations).
  const double log_fail = std::log(1e-4);
  long needed = std::max(1, max_iterations);
  for (long it = 0; it < needed && it < std::max(1, max_iterations); ++it) {
    const size_t i = rng.below(n), j = rng.below(n), k = rng.below(n);
    if (i == j || j == k || i == k) continue;
    Plane cand;
    if (!plane_through(pts[i], pts[j], pts[k], &cand)) continue;
    const int inl = count_inliers(pts, cand, inlier_distance);
    if (inl > best_inliers) {
      best_inliers = inl, best = cand;
      const double w = static_cast<double>(inl) / n;
      const double miss = 1.0 - w * w * w;
      if (miss <= 0) break;
      const double want = std::ceil(log_fail / std::log(miss));
      if (want < static_cast<double>(needed)) needed = static_cast<long>(want);
    }
  }
  if (best_inliers < 3) return std::nullopt;
  PlaneFit fit;
  fit.plane = refit(pts, best, inlier_distance);
  fit.border_points = static_cast<int>(n);
  fit.inliers = count_inliers(pts, fit.plane, inlier_distance);
  if (fit.inliers < best_inliers) {  // the refit must not be worse than the hypothesis
    fit.plane = best;
    fit.inliers = best_inliers;
  }
  return fit;
}

int remove_plane_points(cv::Mat &xyz, cv::Mat *rgb, const Plane &plane, double distance) {
  require(xyz.type() == CV_32FC3, "plane removal: the cloud must be float32 3-channel");
  if (rgb)
    require(rgb->type() == CV_8UC3 && rgb->size() == xyz.size(),
            "plane removal: the RGB image must be 8-bit 3-channel and as large as the cloud");
  int removed = 0;
  for (int r = 0; r < xyz.rows; ++r) {
    float *p = xyz.ptr<float>(r);
    uchar *q = rgb ? rgb->ptr<uchar>(r) : nullptr;
    for (int c = 0; c < xyz.cols; ++c, p += 3) {
      if (!valid_point(p) || plane.distance(p[0], p[1], p[2]) >= distance) continue;
      p[0] = p[1] = p[2] = 0.f;
      if (q) q[3 * c] = q[3 * c + 1] = q[3 * c + 2] = 0;
      ++removed;
    }
  }
  return removed;
}

}  // namespace lsfa
