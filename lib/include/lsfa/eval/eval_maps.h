// Evaluation of anomaly maps stored as files (`lsfa eval-maps`): the maps directory mirrors the
// data set's test tree with one float32 TIFF per sample, <maps>/<category>/test/<defect>/<id>.tiff,
// optionally with image scores in a CSV file.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "lsfa/data/dataset_layout.h"
#include "lsfa/eval/eval_report.h"

namespace lsfa {

// Image scores keyed by the sample path relative to the maps directory
// ("bagel/test/crack/000.tiff").
using ScoreTable = std::unordered_map<std::string, float>;

// Reads a CSV with a header naming at least the columns "path" and "score" (in any order, other
// columns ignored, RFC 4180 quoting, so a REPORT.scores.csv reads back). Throws lsfa::Error naming
// the file and line for a missing column, a bad or non-finite number, or a repeated path.
ScoreTable read_scores_csv(const std::string &path);

// Bilinear resize to size x size as cv::resize INTER_LINEAR: half-pixel centres (the
// align_corners=False convention), borders replicated, no antialiasing when shrinking. A map that
// already has the size is returned as is.
cv::Mat resize_map_bilinear(const cv::Mat &map, int size);

// Nearest resize of a mask to size x size with source index floor(dst * in / out) in integer
// arithmetic (docs/preprocessing.md), then > 0 -> 255.
cv::Mat resize_mask_nearest(const cv::Mat &mask, int size);

struct MapEvalOptions {
  std::string dataset;                          // data set root (MVTec 3D-AD or Eyecandies layout)
  DatasetLayout layout = DatasetLayout::kAuto;  // the data set's layout (lsfa/data/dataset.h)
  std::string maps;  // maps root mirroring <category>/test/<defect>/<id>.tiff
  int size = 224;    // evaluation resolution
};

// The test samples of one category with their maps and masks at size x size. The image score is
// scores->at(relative path) when `scores` is given, else the maximum of the map as stored (before
// resizing). Throws lsfa::Error naming the file for a missing or unreadable map, a map with a
// non-finite value, a map whose proportions are not those of its frame (gt mask, else RGB image;
// any scale), or a sample missing from `scores`.
std::vector<SampleResult> load_map_results(const MapEvalOptions &options,
                                           const std::string &category,
                                           const ScoreTable *scores = nullptr);

}  // namespace lsfa
