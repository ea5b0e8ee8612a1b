#include "lsfa/core/error.h"

namespace lsfa {

void require(bool cond, const std::string &message) {
  if (!cond) throw Error(message);
}

}  // namespace lsfa
