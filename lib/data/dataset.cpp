// Layout detection and indexing over both data set layouts.
#include "lsfa/data/dataset.h"

#include <algorithm>
#include <filesystem>

#include "lsfa/core/error.h"
#include "lsfa/data/eyecandies.h"
#include "lsfa/io/image_io.h"

namespace lsfa {

namespace fs = std::filesystem;

namespace {

const char *const kMvtecLooksLike =
    "the MVTec 3D-AD layout (train/, validation/ or test/ holding <defect>/rgb/ folders)";
const char *const kEyecandiesLooksLike =
    "the Eyecandies layout (train/data/, val/data/ or test_public/data/)";

// An MVTec 3D-AD split folder: at least one <defect>/rgb/ folder in it.
bool is_mvtec_split(const fs::path &dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  for (const auto &e : fs::directory_iterator(dir, ec))
    if (fs::is_directory(e.path() / "rgb", ec)) return true;
  return false;
}

bool has_mvtec_layout(const fs::path &category_dir) {
  return is_mvtec_split(category_dir / "train") || is_mvtec_split(category_dir / "validation") ||
         is_mvtec_split(category_dir / "test");
}

bool has_eyecandies_layout(const fs::path &category_dir) {
  std::error_code ec;
  for (const char *split : {"train", "val", "test_public"})
    if (fs::is_directory(category_dir / split / "data", ec)) return true;
  return false;
}

std::string eyecandies_split_dir(const std::string &split) {
  if (split == "validation") return "val";
  if (split == "test") return "test_public";
  return split;
}

std::vector<DatasetEntry> index_eyecandies_split(const std::string &root,
                                                 const std::string &category,
                                                 const std::string &split) {
  std::vector<DatasetEntry> out;
  for (const EyecandiesEntry &e : index_eyecandies((fs::path(root) / category).string(), split)) {
    DatasetEntry d;
    d.layout = DatasetLayout::kEyecandies;
    d.category = category;
    d.split = split;
    d.id = e.id;
    d.defect = "good";
    d.rgb_path = e.file("image_" + std::to_string(EyecandiesOptions().rgb_image) + ".png");
    d.xyz_path = e.file("depth.png");
    std::error_code ec;
    if (fs::is_regular_file(e.file("mask.png"), ec)) d.gt_path = e.file("mask.png");
    if (split == "test") {
      // No defect folders: the label is whether the mask marks anything (as the reference
      // evaluation labels Eyecandies test samples).
      require(!d.gt_path.empty(), "Eyecandies test sample " + e.file("depth.png") +
                                      " has no mask " + e.file("mask.png"));
      if (cv::countNonZero(read_mask_png(d.gt_path)) > 0) d.defect = "bad";
    }
    out.push_back(std::move(d));
  }
  // Sorted by defect then id, as index_split sorts.
  std::stable_sort(out.begin(), out.end(), [](const DatasetEntry &a, const DatasetEntry &b) {
    return a.defect < b.defect;
  });
  return out;
}

}  // namespace

DatasetLayout detect_dataset_layout(const std::string &root, const std::string &category) {
  std::error_code ec;
  require(fs::is_directory(root, ec), "data set root " + root + " is not a directory");
  const fs::path dir = fs::path(root) / category;
  if (category.empty() || !fs::is_directory(dir, ec)) {
    std::string found;
    for (const std::string &c : list_categories(root)) found += (found.empty() ? "" : ", ") + c;
    throw Error("category folder " + dir.string() + " does not exist (categories in " + root +
                ": " + (found.empty() ? "none" : found) + ")");
  }
  const bool mvtec = has_mvtec_layout(dir), eyecandies = has_eyecandies_layout(dir);
  require(!(mvtec && eyecandies), "data set folder " + dir.string() + " has both " +
                                      kMvtecLooksLike + " and " + kEyecandiesLooksLike +
                                      ": name the layout (--layout mvtec3d or eyecandies)");
  if (mvtec) return DatasetLayout::kMvtec3d;
  if (eyecandies) return DatasetLayout::kEyecandies;
  throw Error("data set folder " + dir.string() + " has an unrecognised layout: expected " +
              kMvtecLooksLike + " or " + kEyecandiesLooksLike);
}

DatasetLayout resolve_dataset_layout(const std::string &root, const std::string &category,
                                     DatasetLayout requested) {
  if (requested == DatasetLayout::kAuto) return detect_dataset_layout(root, category);
  std::error_code ec;
  const fs::path dir = fs::path(root) / category;
  if (!fs::is_directory(dir, ec)) detect_dataset_layout(root, category);  // names the problem
  const bool ok =
      requested == DatasetLayout::kMvtec3d ? has_mvtec_layout(dir) : has_eyecandies_layout(dir);
  require(ok, "data set folder " + dir.string() + " does not have " +
                  (requested == DatasetLayout::kMvtec3d ? kMvtecLooksLike : kEyecandiesLooksLike));
  return requested;
}

bool dataset_has_split(const std::string &root, const std::string &category,
                       const std::string &split, DatasetLayout layout) {
  std::error_code ec;
  const fs::path dir = fs::path(root) / category;
  if (resolve_dataset_layout(root, category, layout) == DatasetLayout::kEyecandies)
    return fs::is_directory(dir / eyecandies_split_dir(split) / "data", ec);
  return fs::is_directory(dir / split, ec);
}

std::vector<DatasetEntry> index_dataset(const std::string &root, const std::string &category,
                                        const std::string &split, DatasetLayout layout) {
  require(split == "train" || split == "validation" || split == "test",
          "unknown split \"" + split + "\" (expected train, validation or test)");
  if (resolve_dataset_layout(root, category, layout) == DatasetLayout::kEyecandies)
    return index_eyecandies_split(root, category, split);
  return index_split(root, category, split);
}

Sample load_eyecandies_entry(const DatasetEntry &entry) {
  const std::string suffix = "_depth.png";
  const fs::path depth(entry.xyz_path);
  require(
      depth.filename().string() == entry.id + suffix,
      "Eyecandies entry " + entry.xyz_path + " does not name the depth file " + entry.id + suffix);
  EyecandiesEntry e{entry.category, entry.split, entry.id, depth.parent_path().string()};
  Sample s = load_eyecandies(e).sample;
  s.category = entry.category;
  if (!entry.defect.empty()) s.defect = entry.defect;
  return s;
}

}  // namespace lsfa
