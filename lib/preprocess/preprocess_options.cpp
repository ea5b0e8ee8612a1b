// PreprocessOptions: validation and the stable text form stored in model bundles.
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <sstream>
#include <vector>

#include "lsfa/core/error.h"
#include "lsfa/preprocess/preprocess.h"

namespace lsfa {
namespace {

std::string number(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back exactly
  return std::string(buf, res.ptr);
}

std::string trim(const std::string &s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

// One entry of the text form: its key and how to print and parse it.
struct Field {
  const char *key;
  std::function<std::string(const PreprocessOptions &)> print;
  std::function<void(PreprocessOptions &, const std::string &)> parse;
};

[[noreturn]] void bad_value(const char *key, const std::string &value, const char *expected) {
  throw Error("preprocessing options: key '" + std::string(key) + "' has value '" + value +
              "', expected " + expected);
}

Field flag(const char *key, bool PreprocessOptions::*m) {
  return {key, [m](const PreprocessOptions &o) { return std::string(o.*m ? "1" : "0"); },
          [key, m](PreprocessOptions &o, const std::string &v) {
            if (v == "1")
              o.*m = true;
            else if (v == "0")
              o.*m = false;
            else
              bad_value(key, v, "0 or 1");
          }};
}

Field integer(const char *key, int PreprocessOptions::*m) {
  return {key, [m](const PreprocessOptions &o) { return std::to_string(o.*m); },
          [key, m](PreprocessOptions &o, const std::string &v) {
            int x = 0;
            auto res = std::from_chars(v.data(), v.data() + v.size(), x);
            if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size())
              bad_value(key, v, "an integer");
            o.*m = x;
          }};
}

Field real(const char *key, double PreprocessOptions::*m) {
  return {key, [m](const PreprocessOptions &o) { return number(o.*m); },
          [key, m](PreprocessOptions &o, const std::string &v) {
            double x = 0;
            auto res = std::from_chars(v.data(), v.data() + v.size(), x);
            if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size() ||
                !std::isfinite(x))
              bad_value(key, v, "a finite number");
            o.*m = x;
          }};
}

const std::vector<Field> &fields() {
  static const std::vector<Field> f = {
      flag("plane", &PreprocessOptions::remove_plane),
      integer("border", &PreprocessOptions::plane_border),
      real("inlier", &PreprocessOptions::plane_inlier),
      real("remove", &PreprocessOptions::plane_remove),
      integer("iterations", &PreprocessOptions::plane_iterations),
      flag("square", &PreprocessOptions::pad_square),
      flag("cluster", &PreprocessOptions::keep_largest_cluster),
      real("eps", &PreprocessOptions::cluster_eps),
      integer("min_points", &PreprocessOptions::cluster_min_points),
      integer("radius", &PreprocessOptions::cluster_radius),
      integer("bridge", &PreprocessOptions::cluster_bridge),
      flag("mask_rgb", &PreprocessOptions::mask_rgb),
      integer("size", &PreprocessOptions::size),
      flag("normalize", &PreprocessOptions::normalize),
  };
  return f;
}

}  // namespace

std::string PreprocessOptions::to_string() const {
  std::string s;
  for (const Field &f : fields()) {
    if (!s.empty()) s += ';';
    s += f.key;
    s += '=';
    s += f.print(*this);
  }
  return s;
}

PreprocessOptions PreprocessOptions::from_string(const std::string &text) {
  PreprocessOptions o;
  std::map<std::string, bool> seen;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ';')) {
    item = trim(item);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw Error("preprocessing options: entry '" + item + "' is not key=value");
    const std::string key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    const Field *field = nullptr;
    for (const Field &f : fields())
      if (key == f.key) field = &f;
    if (!field) throw Error("preprocessing options: unknown key '" + key + "'");
    if (seen[key]) throw Error("preprocessing options: key '" + key + "' given twice");
    seen[key] = true;
    field->parse(o, value);
  }
  for (const Field &f : fields())
    if (!seen[f.key])
      throw Error("preprocessing options: key '" + std::string(f.key) + "' is missing in '" + text +
                  "'");
  o.validate();
  return o;
}

PreprocessOptions PreprocessOptions::resize_only() {
  PreprocessOptions o;
  o.remove_plane = false;
  o.pad_square = false;
  o.keep_largest_cluster = false;
  o.mask_rgb = false;
  return o;
}

void PreprocessOptions::validate() const {
  auto check = [](bool ok, const char *key, const std::string &value, const char *expected) {
    if (!ok) bad_value(key, value, expected);
  };
  check(plane_border >= 1, "border", std::to_string(plane_border), "at least 1");
  check(plane_inlier > 0 && std::isfinite(plane_inlier), "inlier", number(plane_inlier),
        "a positive distance");
  check(plane_remove > 0 && std::isfinite(plane_remove), "remove", number(plane_remove),
        "a positive distance");
  check(plane_iterations >= 1, "iterations", std::to_string(plane_iterations), "at least 1");
  check(cluster_eps > 0 && std::isfinite(cluster_eps), "eps", number(cluster_eps),
        "a positive distance");
  check(cluster_min_points >= 1, "min_points", std::to_string(cluster_min_points), "at least 1");
  check(cluster_radius >= 1 && cluster_radius <= 16, "radius", std::to_string(cluster_radius),
        "1 to 16 pixels");
  check(cluster_bridge >= 0 && cluster_bridge <= 64, "bridge", std::to_string(cluster_bridge),
        "0 to 64 pixels");
  check(size >= 1 && size <= 8192, "size", std::to_string(size), "1 to 8192");
}

}  // namespace lsfa
