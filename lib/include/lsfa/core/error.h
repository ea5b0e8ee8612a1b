// Errors raised by liblsfa. Every failure the user can cause (bad file, bad option, bad data)
// is reported as lsfa::Error with a message that names the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace lsfa {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string &what) : std::runtime_error(what) {}
};

// Throws lsfa::Error(message) when cond is false.
void require(bool cond, const std::string &message);

}  // namespace lsfa
