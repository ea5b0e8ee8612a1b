#include "test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace lsfa::test {
namespace fs = std::filesystem;

namespace {
std::string env_or(const char *name, const std::string &fallback) {
  const char *v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}
}  // namespace

TempDir::TempDir() {
  std::string tmpl = (fs::current_path() / "lsfa-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string shell_quote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

int run_command(const std::string &command, std::string *output) {
  std::string cmd = command + " 2>&1";
  FILE *pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  std::string out;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (output) *output = out;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -1;
}

int run_python(const std::string &script, const std::string &args, std::string *output) {
  std::string python = env_or("LSFA_TEST_PYTHON", "/usr/bin/python3");
  std::string dir = env_or("LSFA_TEST_SCRIPTS", "");
  return run_command(shell_quote(python) + " " + shell_quote(dir + "/" + script) + " " + args,
                     output);
}

int run_lsfa(const std::string &args, std::string *output) {
  std::string tool = env_or("LSFA_TOOL", "lsfa");
  return run_command(shell_quote(tool) + " " + args, output);
}

}  // namespace lsfa::test
