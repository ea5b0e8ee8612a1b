#include "cli_common.h"

#include <deque>
#include <iostream>

#include "commands.h"
#include "lsfa/core/threads.h"

namespace lsfa::cli {

std::vector<CommandRegistrar> &command_registry() {
  static std::vector<CommandRegistrar> registry;
  return registry;
}

int &add_threads_option(CLI::App *cmd) {
  static std::deque<int> storage;  // stable addresses for the lifetime of the program
  storage.push_back(0);
  int &threads = storage.back();
  cmd->add_option("--threads", threads, "LibTorch threads (0 = all cores)")->capture_default_str();
  return threads;
}

void set_runner(CLI::App *cmd, Runner runner) {
  cmd->callback([cmd, runner]() {
    int rc = 1;
    try {
      rc = runner();
    } catch (const std::exception &e) {
      std::cerr << "lsfa " << cmd->get_name() << ": error: " << e.what() << std::endl;
      rc = 1;
    }
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace lsfa::cli
