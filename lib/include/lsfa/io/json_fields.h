// Required fields of JSON metadata (model bundles, scoring calibration, teach settings), read with
// errors that name the field and where it was read, so a damaged file says what is wrong.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lsfa/core/error.h"

namespace lsfa {

// j[key], which must exist; `where` names the object (e.g. "model bundle x.lsfa (calibration)").
const nlohmann::json &json_member(const nlohmann::json &j, const std::string &key,
                                  const std::string &where);

// j[key] converted to T; throws lsfa::Error when it is missing or has another type.
template <typename T>
T json_field(const nlohmann::json &j, const std::string &key, const std::string &where) {
  const nlohmann::json &v = json_member(j, key, where);
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception &) {
    throw Error("field '" + key + "' in " + where + " has the wrong type");
  }
}

// A number that must be finite.
double json_finite(const nlohmann::json &j, const std::string &key, const std::string &where);

}  // namespace lsfa
