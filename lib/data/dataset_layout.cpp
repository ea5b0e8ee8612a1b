#include "lsfa/data/dataset_layout.h"

#include "lsfa/core/error.h"

namespace lsfa {

std::string dataset_layout_name(DatasetLayout layout) {
  switch (layout) {
    case DatasetLayout::kAuto:
      return "auto";
    case DatasetLayout::kMvtec3d:
      return "mvtec3d";
    case DatasetLayout::kEyecandies:
      return "eyecandies";
  }
  return "auto";
}

DatasetLayout parse_dataset_layout(const std::string &name) {
  for (DatasetLayout l :
       {DatasetLayout::kAuto, DatasetLayout::kMvtec3d, DatasetLayout::kEyecandies})
    if (dataset_layout_name(l) == name) return l;
  throw Error("unknown data set layout \"" + name + "\" (expected auto, mvtec3d or eyecandies)");
}

}  // namespace lsfa
