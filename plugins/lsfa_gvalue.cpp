#include "lsfa_gvalue.h"

namespace lsfa_gst {

std::string string_from_value(const GValue *value) {
  const gchar *s = g_value_get_string(value);
  return s ? s : "";
}

void set_value_string(GValue *value, const std::string &s, bool empty_is_null) {
  g_value_set_string(value, s.empty() && empty_is_null ? nullptr : s.c_str());
}

std::vector<double> doubles_from_array(const GValue *value) {
  std::vector<double> out(gst_value_array_get_size(value));
  for (guint i = 0; i < out.size(); ++i)
    out[i] = g_value_get_double(gst_value_array_get_value(value, i));
  return out;
}

std::vector<int> ints_from_array(const GValue *value) {
  std::vector<int> out(gst_value_array_get_size(value));
  for (guint i = 0; i < out.size(); ++i)
    out[i] = g_value_get_int(gst_value_array_get_value(value, i));
  return out;
}

namespace {
template <typename T>
void append_all(GValue *value, const std::vector<T> &v, GType type, void (*set)(GValue *, T)) {
  for (T x : v) {
    GValue item = G_VALUE_INIT;
    g_value_init(&item, type);
    set(&item, x);
    gst_value_array_append_value(value, &item);
    g_value_unset(&item);
  }
}
}  // namespace

void set_value_array(GValue *value, const std::vector<double> &v) {
  append_all<double>(value, v, G_TYPE_DOUBLE,
                     [](GValue *g, double x) { g_value_set_double(g, x); });
}

void set_value_array(GValue *value, const std::vector<int> &v) {
  append_all<int>(value, v, G_TYPE_INT, [](GValue *g, int x) { g_value_set_int(g, x); });
}

}  // namespace lsfa_gst
