#include "progress.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace lsfa::cli {
namespace {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  long t = std::lround(s);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}

// CPU seconds of the whole process (all threads), user + system.
double process_cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

}  // namespace

Progress::Progress(std::string label, size_t total, std::FILE *out)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      tty_(::isatty(::fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_),
      cpu_start_(process_cpu_seconds()) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(size_t done, const std::string &extra) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done, total_)) / rate : -1;
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  if (tty_) {
    const int width = 30;
    const int filled = static_cast<int>(std::round(frac * width));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(out_, "\r%s [%s] %zu/%zu %.2f/s ETA %s %s\x1b[K", label_.c_str(), bar.c_str(),
                 done, total_, rate, format_duration(eta).c_str(), extra.c_str());
    std::fflush(out_);
    return;
  }
  // Plain logs: a line per 10 % step at most once a second, every 10 s, and at the end.
  const int decile = static_cast<int>(frac * 10);
  const double since = std::chrono::duration<double>(now - last_print_).count();
  const bool due = done == total_ || since >= 10.0 || (decile != last_decile_ && since >= 1.0);
  if (!due) return;
  last_decile_ = decile;
  last_print_ = now;
  std::fprintf(out_, "%s: %zu/%zu (%.0f%%), %.2f/s, ETA %s %s\n", label_.c_str(), done, total_,
               frac * 100, rate, format_duration(eta).c_str(), extra.c_str());
  std::fflush(out_);
}

void Progress::finish(const std::string &extra) {
  if (tty_) std::fprintf(out_, "\n");
  // CPU seconds too: on a shared machine the wall time says little about the stage.
  std::fprintf(out_, "%s: done in %s (CPU %.1f s) %s\n", label_.c_str(),
               format_duration(elapsed_seconds()).c_str(), process_cpu_seconds() - cpu_start_,
               extra.c_str());
  std::fflush(out_);
}

}  // namespace lsfa::cli
