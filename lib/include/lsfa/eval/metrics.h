// Anomaly detection metrics, exactly as the reference evaluation computes them (docs/metrics.md):
// ROC AUC as scikit-learn's roc_auc_score (ties included), image and pixel AUROC, and AUPRO as
// defined by the MVTec 3D-AD evaluation code. Maps are cv::Mat CV_32FC1, ground-truth masks
// cv::Mat CV_8UC1 with > 0 = defect; each map must have the size of its mask.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace lsfa {

// A curve as parallel coordinate arrays (x ascending).
struct Curve {
  std::vector<double> x;
  std::vector<double> y;
  size_t size() const { return x.size(); }
};

// ROC AUC equal to sklearn.metrics.roc_auc_score(labels, scores): the trapezoid area under the ROC
// curve whose points are the distinct score values, so tied scores form one diagonal step.
// labels: 0 = negative, anything else = positive. Throws lsfa::Error when the sizes differ, when a
// score is NaN, or when only one class is present (AUC undefined).
double roc_auc(const std::vector<float> &scores, const std::vector<uint8_t> &labels);

// The ROC curve (x = FPR, y = TPR) as sklearn.metrics.roc_curve(labels, scores) with
// drop_intermediate=True: starts at (0,0), one point per distinct score, collinear points dropped.
// Same errors as roc_auc.
Curve roc_curve(const std::vector<float> &scores, const std::vector<uint8_t> &labels);

// Image AUROC: scores of the test images, label 1 for any defect, 0 for good.
inline double image_auroc(const std::vector<float> &scores, const std::vector<uint8_t> &labels) {
  return roc_auc(scores, labels);
}

// Pixel AUROC: roc_auc over every pixel of every map (good images included). Sorts once,
// O(n log n) in the number of pixels.
double pixel_auroc(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts);

// The same pixels as a ROC curve together with its AUC, sorting the pixels only once.
struct PixelRoc {
  double auc = 0.0;
  Curve curve;
};
PixelRoc pixel_roc(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts);

// The per-region overlap (PRO) curve of the MVTec 3D-AD evaluation code: x = FPR, y = PRO, sorted
// by x, including the appended point (1,1). Regions are the 8-connected components of each mask,
// collected over all masks; OK pixels are all pixels outside them. Thresholds are the sorted OK
// scores at integer positions floor(linspace(0, n_ok-1, num_thresholds)); for a threshold at
// position pos, FPR = 1 - (pos+1)/n_ok and PRO = mean over regions of the fraction of region
// pixels with score > threshold. Throws lsfa::Error when there is no region or no OK pixel.
Curve pro_curve(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts,
                int num_thresholds = 100);

// Trapezoid area under `curve` (x ascending) for x in [0, x_max], the value at x_max linearly
// interpolated when x_max is not a curve point; as the reference's trapezoid(x, y, x_max).
// Throws lsfa::Error when x_max lies outside the curve's x range.
double area_under_curve(const Curve &curve, double x_max);

// AUPRO normalised to [0,1]: area_under_curve(pro, limit) / limit, limit in (0, 1].
double aupro_from_curve(const Curve &pro, double limit);
double aupro(const std::vector<cv::Mat> &maps, const std::vector<cv::Mat> &gts, double limit = 0.3,
             int num_thresholds = 100);

// At most `max_points` points of a curve, evenly spread over its index range, first and last kept
// (for plots and reports; the metrics always use full curves).
Curve decimate_curve(const Curve &curve, size_t max_points);

}  // namespace lsfa
