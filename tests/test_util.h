// Shared helpers for the test suites: temporary directories, running Python reference scripts and
// the lsfa command.
#pragma once

#include <string>

// LSFA_TEST_ASAN: this test program is built with AddressSanitizer (tools/test.sh's asan stage).
// Debian's programs (gst-launch-1.0, python3) cannot load an ASan-built plugin, so tests that run
// them skip there, saying so; the main build runs them.
#if defined(__SANITIZE_ADDRESS__)
#define LSFA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSFA_TEST_ASAN 1
#endif
#endif

namespace lsfa::test {

// A fresh empty directory under the build tree, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `/usr/bin/python3 tests/python/<script> <args>`; returns its exit status and fills `output`
// with stdout+stderr.
int run_python(const std::string &script, const std::string &args, std::string *output = nullptr);

// Runs the built `lsfa` program with `args`; returns its exit status and fills `output`.
int run_lsfa(const std::string &args, std::string *output = nullptr);

// Runs a shell command; returns its exit status and fills `output` with stdout+stderr.
int run_command(const std::string &command, std::string *output = nullptr);

// Quotes a string for the shell.
std::string shell_quote(const std::string &s);

}  // namespace lsfa::test
