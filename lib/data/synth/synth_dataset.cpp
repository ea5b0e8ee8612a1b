// Writing synthetic data sets: the MVTec 3D-AD or Eyecandies layout and the RGB + depth stream
// sequence.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "lsfa/core/error.h"
#include "lsfa/data/eyecandies.h"
#include "lsfa/data/synth.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"

namespace lsfa {

namespace fs = std::filesystem;

namespace {

std::string sample_id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", i);
  return buf;
}

void make_dirs(const fs::path &p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  require(!ec, "cannot create directory " + p.string() + ": " + ec.message());
}

// <dir>/{rgb,xyz[,gt]}/NNN for `count` samples drawn with the given split/defect seeds.
void write_mvtec_group(const SynthOptions &o, const std::string &category, const std::string &split,
                       const std::string &defect, int count, bool with_gt, std::ostream *log) {
  if (count == 0) return;
  const fs::path dir = fs::path(o.out_dir) / category / split / defect;
  make_dirs(dir / "rgb");
  make_dirs(dir / "xyz");
  if (with_gt) make_dirs(dir / "gt");
  std::optional<DefectKind> kind;
  if (defect != "good") kind = defect_from_name(defect);
  for (int i = 0; i < count; ++i) {
    const uint64_t seed = synth_sample_seed(o.seed, category, split, defect, i);
    const SynthFrame f =
        render_synth_scene(make_synth_scene(category, o.width, o.height, seed, kind));
    const std::string id = sample_id(i);
    write_rgb_png((dir / "rgb" / (id + ".png")).string(), f.rgb);
    write_xyz_tiff((dir / "xyz" / (id + ".tiff")).string(), f.xyz);
    if (with_gt) write_mask_png((dir / "gt" / (id + ".png")).string(), f.gt);
  }
  if (log)
    *log << "wrote " << dir.string() << ": " << count << " samples (rgb, xyz"
         << (with_gt ? ", gt" : "") << ")\n";
}

// <category>/<split dir>/data/NNN_* for `count` samples (Eyecandies layout), ids from `first`.
void write_eyecandies_group(const SynthOptions &o, const std::string &category,
                            const std::string &split, const std::string &defect, int count,
                            int first, std::ostream *log) {
  if (count == 0) return;
  const std::string split_dir = split == "validation" ? "val"
                                : split == "test"     ? "test_public"
                                                      : split;
  const fs::path dir = fs::path(o.out_dir) / category / split_dir / "data";
  make_dirs(dir);
  std::optional<DefectKind> kind;
  if (defect != "good") kind = defect_from_name(defect);
  for (int i = 0; i < count; ++i) {
    // The same seeds as the MVTec layout: the same objects and defects, another camera.
    const uint64_t seed = synth_sample_seed(o.seed, category, split, defect, i);
    write_eyecandies_synth_sample(make_synth_scene(category, o.width, o.height, seed, kind),
                                  dir.string(), sample_id(first + i), split == "test");
  }
  if (log)
    *log << "wrote " << dir.string() << ": " << count << " " << defect << " samples (ids "
         << sample_id(first) << ".." << sample_id(first + count - 1) << ")\n";
}

// <category>/stream/{rgb,depth,gt}/NNN.png + intrinsics.json + labels.csv.
void write_stream(const SynthOptions &o, const std::string &category, std::ostream *log) {
  if (o.stream == 0) return;
  const fs::path dir = fs::path(o.out_dir) / category / "stream";
  for (const char *sub : {"rgb", "depth", "gt"}) make_dirs(dir / sub);
  const DepthCamera cam = synth_camera(o.width, o.height);
  write_camera_json((dir / "intrinsics.json").string(), cam);
  std::string labels = "frame,label,defect_pixels\n";
  int defective = 0;
  const auto &kinds = all_defect_kinds();
  for (int i = 0; i < o.stream; ++i) {
    std::optional<DefectKind> kind;
    if (i % 3 == 2) kind = kinds[static_cast<size_t>(i / 3) % kinds.size()];
    const std::string label = kind ? defect_name(*kind) : "good";
    const uint64_t seed = synth_sample_seed(o.seed, category, "stream", label, i);
    const SynthFrame f =
        render_synth_scene(make_synth_scene(category, o.width, o.height, seed, kind));
    const std::string id = sample_id(i);
    write_rgb_png((dir / "rgb" / (id + ".png")).string(), f.rgb);
    write_depth_png((dir / "depth" / (id + ".png")).string(), f.depth);
    write_mask_png((dir / "gt" / (id + ".png")).string(), f.gt);
    labels += id + "," + label + "," + std::to_string(cv::countNonZero(f.gt)) + "\n";
    defective += kind ? 1 : 0;
  }
  write_file_atomic((dir / "labels.csv").string(), labels);
  if (log)
    *log << "wrote " << dir.string() << ": " << o.stream << " frames (" << defective
         << " defective; rgb, depth, gt, intrinsics.json, labels.csv)\n";
}

}  // namespace

SynthFrame write_eyecandies_synth_sample(SynthScene scene, const std::string &dir,
                                         const std::string &id, bool with_mask) {
  const Intrinsics k = eyecandies_intrinsics(scene.width, scene.height);
  scene.plane_distance *= k.fx / scene.camera.intrinsics.fx;
  scene.camera.intrinsics = k;
  const SynthFrame f = render_synth_scene(scene);
  const std::string base = (fs::path(dir) / (id + "_")).string();
  double max_m = 0;
  cv::minMaxLoc(f.depth, nullptr, &max_m);
  max_m *= scene.camera.depth_scale;
  require(max_m > 0, "synth: sample " + base + " has no measured depth");
  // png = round(d / max * 65535): the loader's png / 65535 * (max - min) + min with min = 0.
  cv::Mat png;
  f.depth.convertTo(png, CV_16U, scene.camera.depth_scale / max_m * 65535.0);
  write_depth_png(base + "depth.png", png);
  char yaml[96];
  std::snprintf(yaml, sizeof yaml, "normalization:\n  min: 0.0\n  max: %.9g\n", max_m);
  write_file_atomic(base + "info_depth.yaml", yaml);
  write_file_atomic(base + "pose.txt", "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n");
  write_rgb_png(base + "image_4.png", f.rgb);
  if (with_mask) write_mask_png(base + "mask.png", f.gt);
  return f;
}

void generate_synth_dataset(const SynthOptions &o, std::ostream *log) {
  require(!o.out_dir.empty(), "synth: no output directory given");
  require(o.layout == DatasetLayout::kMvtec3d || o.layout == DatasetLayout::kEyecandies,
          "synth: the layout must be mvtec3d or eyecandies");
  require(
      o.train >= 0 && o.validation >= 0 && o.test_good >= 0 && o.test_defect >= 0 && o.stream >= 0,
      "synth: sample counts must not be negative");
  require(o.train + o.validation + o.test_good + o.test_defect + o.stream > 0,
          "synth: nothing to write (all counts are 0)");
  require(o.stream <= 1000 && std::max({o.train, o.validation, o.test_good, o.test_defect}) <= 1000,
          "synth: at most 1000 samples per directory (ids have 3 digits)");
  require(o.layout != DatasetLayout::kEyecandies ||
              o.test_good + o.test_defect * int(all_defect_kinds().size()) <= 1000,
          "synth: at most 1000 test samples in the Eyecandies layout (ids have 3 digits)");
  std::vector<std::string> categories = o.categories.empty() ? synth_categories() : o.categories;
  std::sort(categories.begin(), categories.end());  // a category named twice is written once
  categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
  for (const auto &c : categories) make_synth_scene(c, o.width, o.height, 0);  // validates
  for (const auto &category : categories) {
    const fs::path dir = fs::path(o.out_dir) / category;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
      require(o.overwrite, "synth: " + dir.string() + " exists (use --overwrite to replace it)");
      fs::remove_all(dir, ec);
      require(!ec, "synth: cannot remove " + dir.string() + ": " + ec.message());
    }
    make_dirs(dir);
    if (o.layout == DatasetLayout::kEyecandies) {
      write_eyecandies_group(o, category, "train", "good", o.train, 0, log);
      write_eyecandies_group(o, category, "validation", "good", o.validation, 0, log);
      write_eyecandies_group(o, category, "test", "good", o.test_good, 0, log);
      int next = o.test_good;
      for (DefectKind k : all_defect_kinds()) {
        write_eyecandies_group(o, category, "test", defect_name(k), o.test_defect, next, log);
        next += o.test_defect;
      }
      write_stream(o, category, log);
      continue;
    }
    // The camera of the MVTec-layout clouds (they are depth_to_cloud of its depth images).
    write_camera_json((dir / "intrinsics.json").string(), synth_camera(o.width, o.height));
    write_mvtec_group(o, category, "train", "good", o.train, false, log);
    write_mvtec_group(o, category, "validation", "good", o.validation, false, log);
    write_mvtec_group(o, category, "test", "good", o.test_good, true, log);
    for (DefectKind k : all_defect_kinds())
      write_mvtec_group(o, category, "test", defect_name(k), o.test_defect, true, log);
    write_stream(o, category, log);
  }
}

}  // namespace lsfa
