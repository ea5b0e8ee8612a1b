// Required fields of JSON metadata (model bundles, scoring calibration, teach settings), read with
// errors that name the field and where it was read, so a damaged file says what is wrong.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "lsfa/core/error.h"

namespace lsfa {

// j[key], which must exist; `where` names the object (e.g. "model bundle x.lsfa (calibration)").
const nlohmann::json &json_member(const nlohmann::json &j, const std::string &key,
                                  const std::string &where);

// j[key] converted to T; throws lsfa::Error when it is missing or has another type. Strict:
// nlohmann would turn true into 1, 2.7 into 2 and 2^40 into a truncated int; none of these is a
// valid value in our files.
template <typename T>
T json_field(const nlohmann::json &j, const std::string &key, const std::string &where) {
  const nlohmann::json &v = json_member(j, key, where);
  const std::string wrong = "field '" + key + "' in " + where + " has the wrong type";
  if constexpr (std::is_same_v<T, bool>) {
    require(v.is_boolean(), wrong + " (expected true or false, found " + v.dump() + ")");
  } else if constexpr (std::is_integral_v<T>) {
    require(v.is_number_integer(), wrong + " (expected an integer, found " + v.dump() + ")");
    const bool fits =
        v.is_number_unsigned()
            ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
            : v.get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<T>::min());
    require(fits, "field '" + key + "' in " + where + " is out of range: " + v.dump());
  } else if constexpr (std::is_floating_point_v<T>) {
    require(v.is_number(), wrong + " (expected a number, found " + v.dump() + ")");
  } else if constexpr (std::is_same_v<T, std::string>) {
    require(v.is_string(), wrong + " (expected a string, found " + v.dump() + ")");
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception &) {
    throw Error(wrong);
  }
}

// A number that must be finite.
double json_finite(const nlohmann::json &j, const std::string &key, const std::string &where);

}  // namespace lsfa
