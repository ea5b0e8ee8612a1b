// ROC AUC and ROC curves equal to scikit-learn's (docs/metrics.md).
//
// Each (score, label) pair is packed into one 64-bit key, order-preserving float bits above the
// label bit, so one integer sort (radix, linear time) groups equal scores together (whatever their
// labels). Walking the groups from the highest score down gives the ROC points at each
// distinct threshold, as sklearn's _binary_clf_curve; the area is summed with integer counts, so
// it is exact up to the final division.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/eval/metrics.h"
#include "metrics_internal.h"

namespace lsfa {
namespace {

uint64_t pack(float score, bool positive) {
  if (std::isnan(score)) throw Error("metrics: a score is NaN");
  return (uint64_t(ordered_bits(score)) << 1) | (positive ? 1u : 0u);
}

// Cumulative (false positives, true positives) at each distinct score, highest score first.
struct RocCounts {
  std::vector<int64_t> fps, tps;
};

RocCounts count_roc(std::vector<uint64_t> &keys) {
  if (keys.empty()) throw Error("metrics: no samples; ROC AUC is undefined");
  sort_keys(keys, 33);
  RocCounts c;
  int64_t tp = 0, fp = 0;
  for (size_t i = keys.size(); i-- > 0;) {
    if (keys[i] & 1u)
      ++tp;
    else
      ++fp;
    bool group_ends = i == 0 || (keys[i - 1] >> 1) != (keys[i] >> 1);
    if (group_ends) {
      c.fps.push_back(fp);
      c.tps.push_back(tp);
    }
  }
  if (tp == 0 || fp == 0)
    throw Error("metrics: only one class present (" + std::to_string(keys.size()) + " samples, " +
                std::to_string(tp) + " positive, " + std::to_string(fp) +
                " negative); ROC AUC is undefined");
  return c;
}

double auc_from_counts(const RocCounts &c) {
  // Twice the trapezoid area in count units: sum of dFP * (TP_i + TP_{i-1}).
  int64_t twice = 0, prev_fp = 0, prev_tp = 0;
  for (size_t i = 0; i < c.fps.size(); ++i) {
    twice += (c.fps[i] - prev_fp) * (c.tps[i] + prev_tp);
    prev_fp = c.fps[i];
    prev_tp = c.tps[i];
  }
  double p = double(c.tps.back()), n = double(c.fps.back());
  return double(twice) / (2.0 * p * n);
}

Curve curve_from_counts(const RocCounts &c) {
  // sklearn's drop_intermediate: keep the ends and every point where the second difference of fps
  // or tps is non-zero (a change of direction), then prepend (0,0).
  size_t m = c.fps.size();
  std::vector<size_t> keep;
  for (size_t i = 0; i < m; ++i) {
    bool k = m <= 2 || i == 0 || i + 1 == m || (c.fps[i + 1] - 2 * c.fps[i] + c.fps[i - 1]) != 0 ||
             (c.tps[i + 1] - 2 * c.tps[i] + c.tps[i - 1]) != 0;
    if (k) keep.push_back(i);
  }
  double p = double(c.tps.back()), n = double(c.fps.back());
  Curve curve;
  curve.x.push_back(0.0);
  curve.y.push_back(0.0);
  for (size_t i : keep) {
    curve.x.push_back(double(c.fps[i]) / n);
    curve.y.push_back(double(c.tps[i]) / p);
  }
  return curve;
}

std::vector<uint64_t> pack_vectors(const std::vector<float> &scores,
                                   const std::vector<uint8_t> &labels) {
  if (scores.size() != labels.size())
    throw Error("metrics: " + std::to_string(scores.size()) + " scores but " +
                std::to_string(labels.size()) + " labels");
  std::vector<uint64_t> keys(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) keys[i] = pack(scores[i], labels[i] != 0);
  return keys;
}

std::vector<uint64_t> pack_pixels(const std::vector<cv::Mat> &maps,
                                  const std::vector<cv::Mat> &gts) {
  check_maps(maps, gts);
  size_t total = 0;
  for (const auto &m : maps) total += m.total();
  std::vector<uint64_t> keys;
  keys.reserve(total);
  for (size_t k = 0; k < maps.size(); ++k) {
    for (int r = 0; r < maps[k].rows; ++r) {
      const float *s = maps[k].ptr<float>(r);
      const uint8_t *g = gts[k].ptr<uint8_t>(r);
      for (int c = 0; c < maps[k].cols; ++c) keys.push_back(pack(s[c], g[c] > 0));
    }
  }
  return keys;
}

}  // namespace

uint32_t ordered_bits(float v) {
  if (v == 0.0f) v = 0.0f;
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

float from_ordered_bits(uint32_t u) {
  u = (u & 0x80000000u) ? (u & 0x7fffffffu) : ~u;
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

void sort_keys(std::vector<uint64_t> &keys, int key_bits) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t(1) << kBits;
  if (keys.size() < (size_t(1) << 16)) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  std::vector<uint64_t> tmp(keys.size());
  std::vector<size_t> start(kBuckets + 1);
  for (int shift = 0; shift < key_bits; shift += kBits) {
    std::fill(start.begin(), start.end(), 0);
    for (uint64_t k : keys) ++start[((k >> shift) & (kBuckets - 1)) + 1];
    for (size_t b = 0; b < kBuckets; ++b) start[b + 1] += start[b];
    for (uint64_t k : keys) tmp[start[(k >> shift) & (kBuckets - 1)]++] = k;
    keys.swap(tmp);
  }
}

void check_maps(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts) {
  if (maps.size() != gts.size())
    throw Error("metrics: " + std::to_string(maps.size()) + " maps but " +
                std::to_string(gts.size()) + " ground-truth masks");
  if (maps.empty()) throw Error("metrics: no maps given");
  for (size_t k = 0; k < maps.size(); ++k) {
    const std::string which = "metrics: map " + std::to_string(k);
    if (maps[k].type() != CV_32FC1) throw Error(which + " is not a single-channel float32 image");
    if (gts[k].type() != CV_8UC1)
      throw Error(which + ": its mask is not a single-channel 8-bit image");
    if (maps[k].size() != gts[k].size())
      throw Error(which + " is " + std::to_string(maps[k].cols) + "x" +
                  std::to_string(maps[k].rows) + " but its mask is " + std::to_string(gts[k].cols) +
                  "x" + std::to_string(gts[k].rows));
  }
}

double roc_auc(const std::vector<float> &scores, const std::vector<uint8_t> &labels) {
  auto keys = pack_vectors(scores, labels);
  return auc_from_counts(count_roc(keys));
}

Curve roc_curve(const std::vector<float> &scores, const std::vector<uint8_t> &labels) {
  auto keys = pack_vectors(scores, labels);
  return curve_from_counts(count_roc(keys));
}

double pixel_auroc(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts) {
  auto keys = pack_pixels(maps, gts);
  return auc_from_counts(count_roc(keys));
}

PixelRoc pixel_roc(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts) {
  auto keys = pack_pixels(maps, gts);
  RocCounts counts = count_roc(keys);
  return {auc_from_counts(counts), curve_from_counts(counts)};
}

Curve decimate_curve(const Curve &curve, size_t max_points) {
  if (curve.size() <= max_points || max_points < 2) return curve;
  Curve out;
  size_t n = curve.size();
  for (size_t i = 0; i < max_points; ++i) {
    size_t idx = i * (n - 1) / (max_points - 1);
    out.x.push_back(curve.x[idx]);
    out.y.push_back(curve.y[idx]);
  }
  return out;
}

}  // namespace lsfa
