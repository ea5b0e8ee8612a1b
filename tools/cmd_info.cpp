// lsfa info: what a model bundle holds.
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "lsfa/model/bundle.h"

namespace lsfa::cli {
namespace {

void register_info(CLI::App &app) {
  auto *cmd = app.add_subcommand("info", "Describe a model bundle");
  auto path = std::make_shared<std::string>();
  cmd->add_option("model", *path, "Model bundle (.lsfa)")->required();
  set_runner(cmd, [path]() {
    ModelBundle b = load_bundle(*path);
    std::cout << *path << "\n" << describe_bundle(b);
    return 0;
  });
}

LSFA_REGISTER_COMMAND(register_info);

}  // namespace
}  // namespace lsfa::cli
