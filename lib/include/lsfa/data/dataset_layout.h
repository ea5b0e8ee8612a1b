// The folder layouts of data sets the library reads (lsfa/data/dataset.h), by name.
#pragma once

#include <string>

namespace lsfa {

enum class DatasetLayout {
  kAuto,        // detect from the folders (only as a request; an indexed entry has a concrete one)
  kMvtec3d,     // MVTec 3D-AD, and the synthetic data of `lsfa synth`
  kEyecandies,  // Eyecandies
};

// "auto", "mvtec3d", "eyecandies".
std::string dataset_layout_name(DatasetLayout layout);

// The inverse of dataset_layout_name. Throws lsfa::Error naming the text and the choices.
DatasetLayout parse_dataset_layout(const std::string &name);

}  // namespace lsfa
