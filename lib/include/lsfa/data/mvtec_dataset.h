// MVTec 3D-AD data sets (and our synthetic data, written in the same layout):
//   <root>/<category>/{train,validation}/good/{rgb/NNN.png, xyz/NNN.tiff}
//   <root>/<category>/test/<defect>/{rgb,xyz,gt}/NNN.{png,tiff,png}
#pragma once

#include <string>
#include <vector>

#include "lsfa/data/dataset_layout.h"
#include "lsfa/data/sample.h"

namespace lsfa {

struct DatasetEntry {
  std::string category;
  std::string split;   // "train", "validation", "test"
  std::string defect;  // "good" or the defect type directory name
  std::string id;      // file stem, e.g. "000"
  std::string rgb_path;
  std::string xyz_path;
  std::string gt_path;  // empty when the sample has no ground-truth file (train/validation)
  // How to read the files (lsfa/data/dataset.h): an Eyecandies entry's xyz_path is its depth PNG.
  DatasetLayout layout = DatasetLayout::kMvtec3d;
};

// Categories (sub-directories that contain a train/, test/ or, Eyecandies, test_public/
// directory), sorted.
std::vector<std::string> list_categories(const std::string &root);

// All samples of one category and split, sorted by defect then id. Throws lsfa::Error naming the
// directory when it does not exist or when an rgb file has no matching xyz file.
std::vector<DatasetEntry> index_split(const std::string &root, const std::string &category,
                                      const std::string &split);

// Reads the RGB, xyz and (if any) gt of an entry (an Eyecandies entry through
// load_eyecandies_entry, lsfa/data/dataset.h). Test samples of defect "good" without a gt file
// get an all-zero mask of the image size. Throws lsfa::Error naming the sample when its cloud has
// no measured point (all NaN or all zero).
Sample load_sample(const DatasetEntry &entry);

}  // namespace lsfa
