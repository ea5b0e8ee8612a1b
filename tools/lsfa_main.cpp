// lsfa: command-line front end of liblsfa (synthetic data, training, evaluation, benchmarks).
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "lsfa/threads.h"

int main(int argc, char **argv) {
  CLI::App app{"lsfa: LSFA industrial 3D anomaly detection (RGB + depth)", "lsfa"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("lsfa 0.1.0"));
  lsfa::set_threads(0);
  for (auto &registrar : lsfa::cli::command_registry()) registrar(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  return 0;
}
