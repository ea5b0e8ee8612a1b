// Subcommand registry of the `lsfa` program. Each cmd_*.cpp file registers itself with
// LSFA_REGISTER_COMMAND, so adding a command touches only its own file and tools/meson.build.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace lsfa::cli {

using CommandRegistrar = std::function<void(CLI::App &app)>;

std::vector<CommandRegistrar> &command_registry();

struct RegisterCommand {
  explicit RegisterCommand(CommandRegistrar fn) { command_registry().push_back(std::move(fn)); }
};

}  // namespace lsfa::cli

#define LSFA_CONCAT_INNER(a, b) a##b
#define LSFA_CONCAT(a, b) LSFA_CONCAT_INNER(a, b)
// Usage at namespace scope: LSFA_REGISTER_COMMAND(register_synth);  with void
// register_synth(CLI::App&)
#define LSFA_REGISTER_COMMAND(fn) \
  static ::lsfa::cli::RegisterCommand LSFA_CONCAT(lsfa_register_, __LINE__)(fn)
