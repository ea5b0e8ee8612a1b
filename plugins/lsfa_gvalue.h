// GValue plumbing the elements' properties share: string properties kept as std::string (NULL and
// "" are the same, "unset"), and GstValueArray properties of numbers.
#pragma once

#include <gst/gst.h>

#include <string>
#include <vector>

namespace lsfa_gst {

std::string string_from_value(const GValue *value);  // NULL -> ""
// Sets a string value; an empty string is stored as NULL when `empty_is_null`.
void set_value_string(GValue *value, const std::string &s, bool empty_is_null = true);

// The numbers of a GstValueArray of doubles / ints.
std::vector<double> doubles_from_array(const GValue *value);
std::vector<int> ints_from_array(const GValue *value);
void set_value_array(GValue *value, const std::vector<double> &v);
void set_value_array(GValue *value, const std::vector<int> &v);

}  // namespace lsfa_gst
