// lsfa features: the frozen backbone features of one sample, as float32 safetensors, for parity
// checks against other implementations and for inspection.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "lsfa/core/error.h"
#include "lsfa/data/mvtec_dataset.h"
#include "lsfa/model/projection.h"
#include "lsfa/io/output_path.h"
#include "lsfa/io/safetensors.h"
#include "model_options.h"

namespace lsfa::cli {
namespace {

struct FeaturesArgs {
  std::string rgb, xyz, out;
  ModelOptions model;
};

int run_features(const FeaturesArgs &a) {
  DatasetEntry entry;
  entry.rgb_path = a.rgb;
  entry.xyz_path = a.xyz;
  Sample sample = load_sample(entry);
  check_file_writable(a.out);  // before the backbones run
  FeatureExtractor extractor(a.model.extractor_config());
  SampleFeatures f = extractor.extract(sample);
  at::NoGradGuard no_grad;
  std::map<std::string, at::Tensor> out;
  out["rgb_tokens"] = f.rgb_tokens.to(at::kFloat).contiguous();
  out["rgb_grid"] = rgb_tokens_to_grid(f.rgb_tokens, 56).to(at::kFloat).contiguous();
  out["point_centers"] = f.point_centers.to(at::kFloat).contiguous();
  out["point_groups"] = f.point_groups.to(at::kFloat).contiguous();
  out["point_grid"] = f.point_groups.size(0) > 0
                          ? project_groups_to_grid(f.xyz, f.point_centers, f.point_groups, 56)
                                .to(at::kFloat)
                                .contiguous()
                          : at::zeros({f.point_groups.size(1), 56, 56});
  write_safetensors(a.out, out,
                    {{"backbones", extractor.identity()},
                     {"preprocess", extractor.config().preprocess.to_string()},
                     {"rgb", a.rgb},
                     {"xyz", a.xyz}});
  std::cout << "wrote " << a.out << ": rgb_tokens " << out["rgb_tokens"].sizes()
            << ", point_centers " << out["point_centers"].sizes() << ", point_groups "
            << out["point_groups"].sizes() << ", rgb_grid " << out["rgb_grid"].sizes()
            << ", point_grid " << out["point_grid"].sizes() << "\n";
  return 0;
}

void register_features(CLI::App &app) {
  auto *cmd = app.add_subcommand("features", "Write the backbone features of one sample");
  auto a = std::make_shared<FeaturesArgs>();
  cmd->add_option("--rgb", a->rgb, "RGB image (PNG)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--xyz", a->xyz, "Organized point cloud (float32 H x W x 3 TIFF)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "Output .safetensors file")->required();
  a->model.add_to(cmd, /*with_modalities=*/false);
  set_runner(cmd, [a]() { return run_features(*a); });
}

LSFA_REGISTER_COMMAND(register_features);

}  // namespace
}  // namespace lsfa::cli
