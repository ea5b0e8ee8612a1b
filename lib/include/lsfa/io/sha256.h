// SHA-256 of files and byte strings, used as the identity of backbone checkpoints.
#pragma once

#include <string>

namespace lsfa {

// Lower-case hex digest of the file's contents. Throws lsfa::Error if it cannot be read.
std::string sha256_file(const std::string &path);
std::string sha256_bytes(const std::string &bytes);

}  // namespace lsfa
