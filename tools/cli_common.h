// Helpers shared by the `lsfa` subcommands.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace lsfa::cli {

// Every subcommand registers itself with a callback that returns the process exit code.
using Runner = std::function<int()>;

// Adds `--threads N` (0 = all cores) to a subcommand and returns the variable it fills.
int &add_threads_option(CLI::App *cmd);

// Sets the callback of a subcommand; exceptions from it are reported as "lsfa <name>: <what>".
void set_runner(CLI::App *cmd, Runner runner);

}  // namespace lsfa::cli
