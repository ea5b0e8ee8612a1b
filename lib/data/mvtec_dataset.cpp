#include "lsfa/data/mvtec_dataset.h"

#include <algorithm>
#include <filesystem>

#include "lsfa/core/error.h"
#include "lsfa/data/dataset.h"
#include "lsfa/data/measured_points.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"

namespace lsfa {

namespace fs = std::filesystem;

std::vector<std::string> list_categories(const std::string &root) {
  std::error_code ec;
  require(fs::is_directory(root, ec), "data set root " + root + " is not a directory");
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(root)) {
    if (!e.is_directory()) continue;
    if (fs::is_directory(e.path() / "train", ec) || fs::is_directory(e.path() / "test", ec) ||
        fs::is_directory(e.path() / "test_public", ec))
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<DatasetEntry> index_split(const std::string &root, const std::string &category,
                                      const std::string &split) {
  require(split == "train" || split == "validation" || split == "test",
          "unknown split \"" + split + "\" (expected train, validation or test)");
  const fs::path split_dir = fs::path(root) / category / split;
  std::error_code ec;
  require(fs::is_directory(split_dir, ec),
          "data set directory " + split_dir.string() + " does not exist");
  std::vector<std::string> defects;
  for (const auto &e : fs::directory_iterator(split_dir))
    if (e.is_directory()) defects.push_back(e.path().filename().string());
  std::sort(defects.begin(), defects.end());

  std::vector<DatasetEntry> out;
  for (const auto &defect : defects) {
    const fs::path dir = split_dir / defect;
    const fs::path rgb_dir = dir / "rgb";
    require(fs::is_directory(rgb_dir, ec),
            "data set directory " + dir.string() + " has no rgb/ sub-directory");
    std::vector<std::string> stems;
    for (const auto &e : fs::directory_iterator(rgb_dir))
      if (e.is_regular_file() && e.path().extension() == ".png")
        stems.push_back(e.path().stem().string());
    std::sort(stems.begin(), stems.end());
    for (const auto &stem : stems) {
      DatasetEntry entry;
      entry.category = category;
      entry.split = split;
      entry.defect = defect;
      entry.id = stem;
      entry.rgb_path = (rgb_dir / (stem + ".png")).string();
      entry.xyz_path = (dir / "xyz" / (stem + ".tiff")).string();
      require(fs::is_regular_file(entry.xyz_path, ec),
              "RGB image " + entry.rgb_path + " has no matching point cloud " + entry.xyz_path);
      const fs::path gt = dir / "gt" / (stem + ".png");
      if (fs::is_regular_file(gt, ec)) {
        entry.gt_path = gt.string();
      } else if (split == "test" && defect != "good") {
        throw Error("defective test sample " + entry.rgb_path + " has no ground truth " +
                    gt.string());
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

Sample load_sample(const DatasetEntry &entry) {
  if (entry.layout == DatasetLayout::kEyecandies) return load_eyecandies_entry(entry);
  Sample s;
  s.rgb = read_rgb_png(entry.rgb_path);
  s.xyz = read_xyz_tiff(entry.xyz_path);
  require(s.rgb.size() == s.xyz.size(),
          "sample " + entry.rgb_path + ": RGB is " + std::to_string(s.rgb.cols) + "x" +
              std::to_string(s.rgb.rows) + " but the point cloud " + entry.xyz_path + " is " +
              std::to_string(s.xyz.cols) + "x" + std::to_string(s.xyz.rows));
  require(has_measured_point(s.xyz),
          "sample " + entry.rgb_path + ": point cloud " + entry.xyz_path +
              " has no measured point (every point is NaN, infinite or (0,0,0))");
  if (!entry.gt_path.empty()) {
    s.gt = read_mask_png(entry.gt_path);
    require(
        s.gt.size() == s.rgb.size(),
        "ground truth " + entry.gt_path + " does not have the size of its image " + entry.rgb_path);
  } else if (entry.split == "test" && entry.defect == "good") {
    s.gt = cv::Mat::zeros(s.rgb.size(), CV_8UC1);
  }
  s.category = entry.category;
  s.split = entry.split;
  s.defect = entry.defect;
  s.id = entry.id;
  return s;
}

}  // namespace lsfa
