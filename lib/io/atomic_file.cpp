#include "lsfa/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

const char kTempInfix[] = ".tmp.";

std::string temp_path_for(const std::string &path) {
  return path + kTempInfix + std::to_string(::getpid());
}

// A writer killed between creating its temporary file and the rename (kill -9, power loss) leaves
// `<target>.tmp.<pid>` behind. Before writing the same target, remove those whose process is gone.
// A live pid (another writer now, or a reused pid) keeps its file: never delete a file in use.
void remove_stale_temporaries(const std::string &path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + kTempInfix;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return;  // best effort: the write itself reports an unusable directory
  for (const fs::directory_entry &e : it) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge (EPERM)
    std::error_code rm;
    fs::remove(e.path(), rm);
  }
}

void fsync_path(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw Error("cannot open " + path + " to sync: " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw Error("cannot sync " + path + ": " + std::strerror(errno));
}

void fsync_parent_dir(const std::string &path) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems refuse directory handles
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomic_with(const std::string &path,
                            const std::function<void(const std::string &)> &writer) {
  remove_stale_temporaries(path);
  const std::string tmp = temp_path_for(path);
  try {
    writer(tmp);
    fsync_path(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": " + why);
  }
  fsync_parent_dir(path);
}

void write_file_atomic(const std::string &path, const std::string &bytes) {
  write_file_atomic_with(path, [&](const std::string &tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot create " + tmp + ": " + std::strerror(errno));
    errno = 0;
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    // errno names the cause: ENOSPC (disk full), EFBIG (file size limit), EIO, ...
    if (!out)
      throw Error("cannot write " + tmp + ": " + (errno ? std::strerror(errno) : "write failed"));
    out.close();
    if (!out)
      throw Error("cannot write " + tmp + ": " + (errno ? std::strerror(errno) : "close failed"));
  });
}

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + path);
  return ss.str();
}

}  // namespace lsfa
