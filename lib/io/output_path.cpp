#include "lsfa/io/output_path.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "lsfa/core/error.h"

namespace lsfa {
namespace fs = std::filesystem;

namespace {

void probe_dir(const fs::path &dir, const std::string &what) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error("cannot write " + what + ": the folder " + dir.string() +
                (fs::exists(dir, ec) ? " is not a folder" : " does not exist"));
  std::string templ = (dir / ".lsfa-write-probe-XXXXXX").string();
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0)
    throw Error("cannot write " + what + ": the folder " + dir.string() + " is not writable (" +
                std::strerror(errno) + ")");
  ::close(fd);
  ::unlink(name.data());
}

}  // namespace

void check_file_writable(const std::string &path) {
  require(!path.empty(), "no output path given");
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) throw Error("cannot write " + path + ": it is a folder");
  probe_dir(p.has_parent_path() ? p.parent_path() : fs::path("."), path);
}

void prepare_output_dir(const std::string &dir) {
  require(!dir.empty(), "no output folder given");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec && !fs::is_directory(dir))
    throw Error("cannot create the output folder " + dir + ": " + ec.message());
  probe_dir(dir, dir);
}

}  // namespace lsfa
