// Progress reporting for long commands: a bar with rate and ETA on a terminal, plain log lines
// (about one per 10 % and per 10 s) otherwise, so logs stay readable in CI and pipes.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace lsfa::cli {

class Progress {
 public:
  Progress(std::string label, size_t total, std::FILE *out = stderr);
  // Reports that `done` of `total` items are finished; `extra` is appended (e.g. "loss 0.42").
  void update(size_t done, const std::string &extra = {});
  // Ends the line on a terminal and prints the elapsed time and the CPU seconds of the process
  // (all threads) since the start.
  void finish(const std::string &extra = {});
  double elapsed_seconds() const;

 private:
  std::string label_;
  size_t total_;
  std::FILE *out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
  int last_decile_ = -1;
  double cpu_start_ = 0;
};

}  // namespace lsfa::cli
