// Data sets as users have them on disk: the MVTec 3D-AD layout (also written by `lsfa synth`) and
// the Eyecandies layout, detected from the folders of a category or named by the caller. Both are
// indexed into the same DatasetEntry list, and load_sample reads an entry of either layout.
//   MVTec 3D-AD: <root>/<category>/{train,validation,test}/<defect>/{rgb,xyz,gt}/NNN.*
//   Eyecandies:  <root>/<category>/{train,val,test_public}/data/NNN_*
#pragma once

#include <string>
#include <vector>

#include "lsfa/data/dataset_layout.h"
#include "lsfa/data/mvtec_dataset.h"

namespace lsfa {

// The layout of <root>/<category>, from its folders: train/, validation/ or test/ holding
// <defect>/rgb/ folders is MVTec 3D-AD; train/data/, val/data/ or test_public/data/ is
// Eyecandies. Throws lsfa::Error naming the category folder when it does not exist (listing the
// categories that do) or when it has neither layout (naming what was looked for).
DatasetLayout detect_dataset_layout(const std::string &root, const std::string &category);

// `requested` when it is a concrete layout that <root>/<category> has, the detected layout for
// DatasetLayout::kAuto. Throws lsfa::Error when the folder does not have the requested layout.
DatasetLayout resolve_dataset_layout(const std::string &root, const std::string &category,
                                     DatasetLayout requested);

// Whether the category has the split ("train", "validation", "test") in its layout.
bool dataset_has_split(const std::string &root, const std::string &category,
                       const std::string &split, DatasetLayout layout);

// All samples of one category and split, sorted by defect then id, for either layout (kAuto
// detects it). Eyecandies samples get the RGB NNN_image_4.png, the depth NNN_depth.png as
// xyz_path, the mask NNN_mask.png as gt_path and, in the test split, the defect "bad" when their
// mask marks a pixel, else "good" (Eyecandies names no defect types); every test sample needs its
// mask. Throws lsfa::Error as index_split and index_eyecandies do.
std::vector<DatasetEntry> index_dataset(const std::string &root, const std::string &category,
                                        const std::string &split,
                                        DatasetLayout layout = DatasetLayout::kAuto);

// An Eyecandies entry of index_dataset read as a Sample (load_eyecandies with the default options:
// image_4, cloud in the world frame); load_sample calls it for Eyecandies entries.
Sample load_eyecandies_entry(const DatasetEntry &entry);

}  // namespace lsfa
