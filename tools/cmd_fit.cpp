// lsfa fit: the no-adaptation baseline (identity adaptors): memory banks from train/good,
// normalisation and thresholds from validation/good.
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "fit_common.h"

namespace lsfa::cli {
namespace {

void register_fit(CLI::App &app) {
  auto *cmd =
      app.add_subcommand("fit", "Build a model without adaptation (PatchCore on frozen features)");
  auto opts = std::make_shared<FitOptions>();
  opts->add_to(cmd);
  set_runner(cmd, [opts]() {
    LearnOptions learn;
    learn.adapt = false;  // identity adaptors: the M3DM-style no-adaptation baseline
    return run_learn(*opts, learn, nlohmann::json::object(), {}, stop_on_interrupt());
  });
}

LSFA_REGISTER_COMMAND(register_fit);

}  // namespace
}  // namespace lsfa::cli
