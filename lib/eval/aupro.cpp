// AUPRO as the MVTec 3D-AD evaluation code defines it (docs/metrics.md), restated in metrics.h. The
// code follows the reference step by step (thresholds taken from the sorted OK scores, overlap
// counted with score > threshold, the point (1,1) appended, the integral cut at the limit with a
// linearly interpolated end), so results agree with it to rounding.
#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/eval/metrics.h"
#include "metrics_internal.h"

namespace lsfa {
namespace {

// Threshold positions as numpy's linspace(0, n-1, num, dtype=int): i * ((n-1)/(num-1)) in double,
// floored, the last one exactly n-1.
std::vector<int64_t> threshold_positions(int64_t n, int num) {
  std::vector<int64_t> pos(size_t(num), 0);
  if (num == 1) return pos;  // linspace with one point returns the start
  double step = double(n - 1) / double(num - 1);
  for (int i = 0; i < num; ++i) pos[size_t(i)] = int64_t(std::floor(double(i) * step));
  pos.back() = n - 1;
  return pos;
}

}  // namespace

Curve pro_curve(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts,
                int num_thresholds) {
  check_maps(maps, gts);
  if (num_thresholds < 1)
    throw Error("aupro: number of thresholds must be >= 1, got " + std::to_string(num_thresholds));

  std::vector<uint64_t> ok_keys;  // order-preserving keys of the OK scores, radix-sorted below
  std::vector<std::vector<float>> regions;  // scores of each ground-truth region, sorted
  for (size_t k = 0; k < maps.size(); ++k) {
    cv::Mat defect = gts[k] > 0;
    cv::Mat labels;
    int n_labels = cv::connectedComponents(defect, labels, 8, CV_32S);
    size_t first = regions.size();
    regions.resize(first + size_t(n_labels - 1));
    for (int r = 0; r < maps[k].rows; ++r) {
      const float *s = maps[k].ptr<float>(r);
      const int *l = labels.ptr<int>(r);
      for (int c = 0; c < maps[k].cols; ++c) {
        if (std::isnan(s[c])) throw Error("aupro: map " + std::to_string(k) + " contains NaN");
        if (l[c] == 0)
          ok_keys.push_back(ordered_bits(s[c]));
        else
          regions[first + size_t(l[c] - 1)].push_back(s[c]);
      }
    }
  }
  if (regions.empty()) throw Error("aupro: the ground truth has no defect region");
  if (ok_keys.empty()) throw Error("aupro: the ground truth has no defect-free (OK) pixel");
  sort_keys(ok_keys, 32);
  std::vector<float> ok_scores(ok_keys.size());
  for (size_t i = 0; i < ok_keys.size(); ++i)
    ok_scores[i] = from_ordered_bits(uint32_t(ok_keys[i]));
  std::vector<uint64_t>().swap(ok_keys);
  for (auto &region : regions) std::sort(region.begin(), region.end());

  const int64_t n_ok = int64_t(ok_scores.size());
  std::vector<int64_t> positions = threshold_positions(n_ok, num_thresholds);
  // Built from the highest FPR down, as the reference, then reversed.
  Curve desc;
  desc.x.push_back(1.0);
  desc.y.push_back(1.0);
  for (int64_t pos : positions) {
    float threshold = ok_scores[size_t(pos)];
    double fpr = 1.0 - double(pos + 1) / double(n_ok);
    double pro = 0.0;
    for (const auto &region : regions) {
      size_t at_or_below =
          size_t(std::upper_bound(region.begin(), region.end(), threshold) - region.begin());
      pro += 1.0 - double(at_or_below) / double(region.size());
    }
    pro /= double(regions.size());
    desc.x.push_back(fpr);
    desc.y.push_back(pro);
  }
  Curve curve;
  curve.x.assign(desc.x.rbegin(), desc.x.rend());
  curve.y.assign(desc.y.rbegin(), desc.y.rend());
  return curve;
}

double area_under_curve(const Curve &curve, double x_max) {
  const auto &x = curve.x;
  const auto &y = curve.y;
  if (x.size() != y.size() || x.size() < 2)
    throw Error("area_under_curve: the curve needs at least two points");
  double correction = 0.0;
  if (std::find(x.begin(), x.end(), x_max) == x.end()) {
    size_t ins = size_t(std::upper_bound(x.begin(), x.end(), x_max) - x.begin());
    if (ins == 0 || ins >= x.size())
      throw Error("area_under_curve: limit " + std::to_string(x_max) + " is outside the curve [" +
                  std::to_string(x.front()) + ", " + std::to_string(x.back()) + "]");
    double y_interp =
        y[ins - 1] + ((y[ins] - y[ins - 1]) * (x_max - x[ins - 1]) / (x[ins] - x[ins - 1]));
    correction = 0.5 * (y_interp + y[ins - 1]) * (x_max - x[ins - 1]);
  }
  // The reference masks x <= x_max and sums the trapezoids of the remaining consecutive points.
  std::vector<size_t> kept;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] <= x_max) kept.push_back(i);
  double area = 0.0;
  for (size_t j = 1; j < kept.size(); ++j) {
    size_t a = kept[j - 1], b = kept[j];
    area += 0.5 * (y[b] + y[a]) * (x[b] - x[a]);
  }
  return area + correction;
}

double aupro_from_curve(const Curve &pro, double limit) {
  if (!(limit > 0.0 && limit <= 1.0))
    throw Error("aupro: integration limit must be in (0, 1], got " + std::to_string(limit));
  return area_under_curve(pro, limit) / limit;
}

double aupro(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts, double limit,
             int num_thresholds) {
  return aupro_from_curve(pro_curve(maps, gts, num_thresholds), limit);
}

}  // namespace lsfa
