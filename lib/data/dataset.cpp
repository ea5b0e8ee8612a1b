#include "lsfa/data/dataset.h"

#include <filesystem>

#include "lsfa/core/error.h"

namespace lsfa {

namespace fs = std::filesystem;

std::string to_string(DatasetLayout layout) {
  switch (layout) {
    case DatasetLayout::kAuto:
      return "auto";
    case DatasetLayout::kMvtec3d:
      return "mvtec3d";
    case DatasetLayout::kEyecandies:
      return "eyecandies";
  }
  throw Error("invalid DatasetLayout value");
}

DatasetLayout dataset_layout_from_string(const std::string &name) {
  for (DatasetLayout l :
       {DatasetLayout::kAuto, DatasetLayout::kMvtec3d, DatasetLayout::kEyecandies})
    if (to_string(l) == name) return l;
  throw Error("unknown data set layout '" + name + "' (expected auto, mvtec3d or eyecandies)");
}

DatasetLayout detect_dataset_layout(const std::string &root, const std::string &category) {
  const fs::path dir = fs::path(root) / category;
  std::error_code ec;
  require(fs::is_directory(dir, ec),
          "data set category directory " + dir.string() + " does not exist");
  for (const char *split : {"train", "val", "test_public"})
    if (fs::is_directory(dir / split / "data", ec)) return DatasetLayout::kEyecandies;
  for (const char *split : {"train", "validation", "test"})
    if (fs::is_directory(dir / split, ec)) return DatasetLayout::kMvtec3d;
  throw Error("data set category directory " + dir.string() +
              " has neither the MVTec 3D-AD layout (train/, validation/, test/) nor the "
              "Eyecandies layout (train/data/, val/data/, test_public/data/)");
}

std::vector<DatasetItem> index_dataset(const std::string &root, const std::string &category,
                                       const std::string &split, DatasetLayout layout) {
  require(split == "train" || split == "validation" || split == "test",
          "unknown split '" + split + "' (expected train, validation or test)");
  if (layout == DatasetLayout::kAuto) layout = detect_dataset_layout(root, category);
  std::vector<DatasetItem> out;
  if (layout == DatasetLayout::kEyecandies) {
    const EyecandiesOptions options;
    for (EyecandiesEntry &e :
         index_eyecandies((fs::path(root) / category).string(), split, options)) {
      DatasetItem item;
      item.layout = layout;
      item.category = category;
      item.split = e.split;
      item.id = e.id;
      item.rgb_path = e.file("image_" + std::to_string(options.rgb_image) + ".png");
      item.eyecandies = std::move(e);
      out.push_back(std::move(item));
    }
    return out;
  }
  for (DatasetEntry &e : index_split(root, category, split)) {
    DatasetItem item;
    item.layout = layout;
    item.category = e.category;
    item.split = e.split;
    item.id = e.id;
    item.rgb_path = e.rgb_path;
    item.mvtec = std::move(e);
    out.push_back(std::move(item));
  }
  return out;
}

Sample load_dataset_item(const DatasetItem &item) {
  if (item.layout == DatasetLayout::kEyecandies) {
    Sample s = load_eyecandies(item.eyecandies).sample;
    s.category = item.category;  // the name given, as for MVTec 3D-AD
    return s;
  }
  require(item.layout == DatasetLayout::kMvtec3d, "load_dataset_item: the item has no layout");
  return load_sample(item.mvtec);
}

}  // namespace lsfa
