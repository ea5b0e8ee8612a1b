// lsfa: command-line front end of liblsfa (synthetic data, training, evaluation, benchmarks).
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "lsfa/core/build_info.h"
#include "lsfa/core/threads.h"

int main(int argc, char **argv) {
  // OpenMP workers that spin after each ATen kernel take the cores OpenBLAS needs for the next
  // matrix product (measured: ViT-B/8 at 44 % of sgemm instead of 60 % on 2 cores). libgomp reads
  // OMP_WAIT_POLICY only when it is loaded, so set it and start again once.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "passive", 1);
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
  }
  CLI::App app{"lsfa: LSFA industrial 3D anomaly detection (RGB + depth)", "lsfa"};
  app.require_subcommand(1);
  // One fact per line, for scripts and bug reports: what was built and which devices it sees now.
  app.set_version_flag("--version", [] {
    return "lsfa " + lsfa::lsfa_version() + "\nlibtorch " + lsfa::libtorch_version() + "\ncuda " +
           lsfa::cuda_runtime_version() + "\ndevices " + std::to_string(lsfa::cuda_device_count());
  });
  lsfa::set_threads(0);
  for (auto &registrar : lsfa::cli::command_registry()) registrar(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  }
  return 0;
}
