// A data set as users have it on disk, in either supported layout: MVTec 3D-AD (also what
// `lsfa synth` writes) or Eyecandies. One index and one loader for both, so the command-line tool
// and lsfasrc read the same samples in the same order.
#pragma once

#include <string>
#include <vector>

#include "lsfa/data/eyecandies.h"
#include "lsfa/data/mvtec_dataset.h"
#include "lsfa/data/sample.h"

namespace lsfa {

// kAuto: decided per category directory by detect_dataset_layout.
enum class DatasetLayout { kAuto, kMvtec3d, kEyecandies };

std::string to_string(DatasetLayout layout);  // "auto", "mvtec3d", "eyecandies"
// Throws lsfa::Error naming the value and the accepted names.
DatasetLayout dataset_layout_from_string(const std::string &name);

// The layout of <root>/<category>: Eyecandies when it holds train/data, val/data or
// test_public/data; MVTec 3D-AD when it holds train/, validation/ or test/ (checked in this order,
// so an Eyecandies directory is never mistaken for MVTec 3D-AD). Throws lsfa::Error naming the
// directory when it does not exist or has neither layout.
DatasetLayout detect_dataset_layout(const std::string &root, const std::string &category);

// One sample of either layout, before its files are read.
struct DatasetItem {
  DatasetLayout layout = DatasetLayout::kMvtec3d;  // never kAuto
  std::string category, split, id;
  std::string rgb_path;        // the RGB image file (Eyecandies: NNN_image_4.png)
  DatasetEntry mvtec;          // layout kMvtec3d
  EyecandiesEntry eyecandies;  // layout kEyecandies
};

// The samples of <root>/<category>, split "train", "validation" or "test", in the layout's own
// order (MVTec 3D-AD: by defect then id; Eyecandies: by id). Errors as index_split /
// index_eyecandies, plus an unknown split.
std::vector<DatasetItem> index_dataset(const std::string &root, const std::string &category,
                                       const std::string &split,
                                       DatasetLayout layout = DatasetLayout::kAuto);

// Reads a sample (load_sample / load_eyecandies with default options: image 4, world frame). The
// result's `defect` is "good" or the defect type (Eyecandies: "bad" when the mask has a defect
// pixel).
Sample load_dataset_item(const DatasetItem &item);

}  // namespace lsfa
