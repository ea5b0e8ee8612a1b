#include "lsfa/io/json_fields.h"

#include <cmath>

namespace lsfa {

const nlohmann::json &json_member(const nlohmann::json &j, const std::string &key,
                                  const std::string &where) {
  require(j.is_object(), where + " is not a JSON object");
  auto it = j.find(key);
  require(it != j.end(), "missing field '" + key + "' in " + where);
  return *it;
}

double json_finite(const nlohmann::json &j, const std::string &key, const std::string &where) {
  const nlohmann::json &v = json_member(j, key, where);
  require(v.is_number(), "field '" + key + "' in " + where + " is not a number");
  const double d = v.get<double>();
  require(std::isfinite(d), "field '" + key + "' in " + where + " is not finite");
  return d;
}

}  // namespace lsfa
