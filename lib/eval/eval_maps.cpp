// Loading anomaly maps from a directory that mirrors a data set's test tree.
#include "lsfa/eval/eval_maps.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "lsfa/core/error.h"
#include "lsfa/data/dataset.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_header.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"

namespace lsfa {
namespace fs = std::filesystem;
namespace {

// Splits one CSV record (RFC 4180 quoting, no line breaks inside fields).
std::vector<std::string> split_csv_line(const std::string &line, const std::string &where) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw Error(where + ": unterminated quoted field");
  return fields;
}

std::string trim(const std::string &s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// "./bagel//test/x.tiff" and "bagel/test/x.tiff" name the same sample.
std::string normalise_relative(const std::string &p) {
  return fs::path(p).lexically_normal().generic_string();
}

// The frame a map must cover: the ground-truth mask, else the RGB image (its header suffices).
cv::Size frame_size(const DatasetEntry &entry, const cv::Mat &gt) {
  if (!gt.empty()) return gt.size();
  const ImageHeader h = probe_image_header(read_file(entry.rgb_path), entry.rgb_path);
  if (h.format != ImageHeader::Format::Unknown)
    return cv::Size(static_cast<int>(h.width), static_cast<int>(h.height));
  return read_rgb_png(entry.rgb_path).size();
}

// A map may have any size (it is resized to the evaluation size) but must show the frame's
// proportions: a map of another aspect ratio belongs to another view, or is not a map of this
// sample at all. One pixel of rounding in the map's size is tolerated.
void check_map_proportions(const cv::Mat &map, cv::Size frame, const std::string &map_path,
                           const std::string &sample) {
  const int64_t cross = int64_t(map.cols) * frame.height - int64_t(map.rows) * frame.width;
  if (std::llabs(cross) <= std::max<int64_t>(frame.width, frame.height)) return;
  throw Error("anomaly map " + map_path + " is " + std::to_string(map.cols) + " x " +
              std::to_string(map.rows) + " but test sample " + sample + " is " +
              std::to_string(frame.width) + " x " + std::to_string(frame.height) +
              " (width x height): a map must have the proportions of its frame (any scale)");
}

}  // namespace

ScoreTable read_scores_csv(const std::string &path) {
  std::istringstream in(read_file(path));
  std::string line;
  size_t line_no = 0;
  int path_col = -1, score_col = -1;
  ScoreTable table;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    auto fields = split_csv_line(line, where);
    for (auto &f : fields) f = trim(f);
    if (path_col < 0) {  // header
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i] == "path") path_col = int(i);
        if (fields[i] == "score") score_col = int(i);
      }
      if (path_col < 0 || score_col < 0)
        throw Error(where + ": the header must name the columns 'path' and 'score', got '" +
                    trim(line) + "'");
      continue;
    }
    if (int(fields.size()) <= std::max(path_col, score_col))
      throw Error(where + ": expected " + std::to_string(std::max(path_col, score_col) + 1) +
                  " columns, got " + std::to_string(fields.size()));
    const std::string &text = fields[size_t(score_col)];
    errno = 0;
    char *end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
      throw Error(where + ": score '" + text + "' is not a finite number");
    std::string key = normalise_relative(fields[size_t(path_col)]);
    if (!table.emplace(key, float(v)).second)
      throw Error(where + ": path '" + key + "' appears twice");
  }
  if (path_col < 0) throw Error("scores file " + path + " is empty (expected a header path,score)");
  return table;
}

cv::Mat resize_map_bilinear(const cv::Mat &map, int size) {
  if (map.cols == size && map.rows == size) return map;
  cv::Mat out;
  cv::resize(map, out, cv::Size(size, size), 0, 0, cv::INTER_LINEAR);
  return out;
}

cv::Mat resize_mask_nearest(const cv::Mat &mask, int size) {
  if (mask.type() != CV_8UC1) throw Error("mask resize: expected an 8-bit single-channel mask");
  cv::Mat out(size, size, CV_8UC1);
  for (int y = 0; y < size; ++y) {
    const uint8_t *src = mask.ptr<uint8_t>(int(int64_t(y) * mask.rows / size));
    uint8_t *dst = out.ptr<uint8_t>(y);
    for (int x = 0; x < size; ++x) dst[x] = src[int64_t(x) * mask.cols / size] > 0 ? 255 : 0;
  }
  return out;
}

std::vector<SampleResult> load_map_results(const MapEvalOptions &options,
                                           const std::string &category, const ScoreTable *scores) {
  if (options.size < 1) throw Error("evaluation size must be >= 1");
  std::vector<SampleResult> out;
  for (const DatasetEntry &entry :
       index_dataset(options.dataset, category, "test", options.layout)) {
    SampleResult s = sample_result_for(entry, category);
    const std::string map_path = (fs::path(options.maps) / s.path).string();
    std::error_code ec;
    if (!fs::is_regular_file(map_path, ec))
      throw Error("missing anomaly map " + map_path + " for test sample " + entry.rgb_path);
    cv::Mat map = read_float_tiff(map_path);
    if (!cv::checkRange(map, true, nullptr))
      throw Error("anomaly map " + map_path + " contains NaN or infinite values");
    if (scores) {
      auto it = scores->find(s.path);
      if (it == scores->end())
        throw Error("the scores file has no row for " + s.path + " (test sample " + entry.rgb_path +
                    ")");
      s.score = it->second;
    } else {
      double mx;
      cv::minMaxLoc(map, nullptr, &mx);
      s.score = float(mx);
    }
    const cv::Mat gt = entry.gt_path.empty() ? cv::Mat() : read_mask_png(entry.gt_path);
    check_map_proportions(map, frame_size(entry, gt), map_path, entry.rgb_path);
    s.map = resize_map_bilinear(map, options.size);
    if (!gt.empty())
      s.gt = resize_mask_nearest(gt, options.size);
    else
      s.gt = cv::Mat::zeros(options.size, options.size, CV_8UC1);
    out.push_back(std::move(s));
  }
  if (out.empty()) throw Error("category " + category + " has no test samples");
  return out;
}

}  // namespace lsfa
