// lsfa synth: writes the synthetic RGB-D defect data set (docs/synthetic-data.md).
#include <iostream>
#include <regex>

#include "cli_common.h"
#include "commands.h"
#include "lsfa/core/error.h"
#include "lsfa/data/synth.h"

namespace {

void parse_size(const std::string &text, int *w, int *h) {
  static const std::regex re("([0-9]{1,5})x([0-9]{1,5})");
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw lsfa::Error("--size must look like WxH (e.g. 300x300), got \"" + text + "\"");
  *w = std::stoi(m[1]);
  *h = std::stoi(m[2]);
}

void register_synth(CLI::App &app) {
  auto *cmd = app.add_subcommand("synth",
                                 "Write a synthetic RGB-D defect data set (MVTec 3D-AD or "
                                 "Eyecandies layout, plus RGB + depth PNG streams)");
  struct Args {
    lsfa::SynthOptions options;
    std::string size = "300x300";
    std::vector<std::string> categories;
    std::string layout = "mvtec3d";
  };
  static Args args;
  auto &o = args.options;
  cmd->add_option("--out", o.out_dir, "output directory")->required();
  cmd->add_option("--category", args.categories,
                  "category to write: ring, tile (repeatable; default: all)");
  cmd->add_option("--seed", o.seed, "random seed (same seed, same bytes)")->capture_default_str();
  cmd->add_option("--train", o.train, "training samples per category")->capture_default_str();
  cmd->add_option("--validation", o.validation, "validation samples per category")
      ->capture_default_str();
  cmd->add_option("--test-good", o.test_good, "defect-free test samples per category")
      ->capture_default_str();
  cmd->add_option("--test-defect", o.test_defect, "test samples per defect kind and category")
      ->capture_default_str();
  cmd->add_option("--stream", o.stream, "frames of the RGB + depth stream sequence (0 = none)")
      ->capture_default_str();
  cmd->add_option("--size", args.size, "frame size WxH")->capture_default_str();
  cmd->add_flag("--overwrite", o.overwrite, "replace existing category directories");
  cmd->add_option("--layout", args.layout,
                  "folder layout of the samples: mvtec3d or eyecandies (docs/datasets.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mvtec3d", "eyecandies"}));
  lsfa::cli::set_runner(cmd, [&]() {
    parse_size(args.size, &o.width, &o.height);
    o.categories = args.categories;
    o.layout = lsfa::parse_dataset_layout(args.layout);
    lsfa::generate_synth_dataset(o, &std::cout);
    return 0;
  });
}

}  // namespace

LSFA_REGISTER_COMMAND(register_synth);
