#include "lsfa_enums.h"

namespace {

GType register_enum(const char *name, const GEnumValue *values, GType *type) {
  if (g_once_init_enter(type)) g_once_init_leave(type, g_enum_register_static(name, values));
  return *type;
}

}  // namespace

GType gst_lsfa_score_mode_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_SCORE_MODE_INSPECT, "Score every frame against the model bundle", "inspect"},
      {GST_LSFA_SCORE_MODE_TEACH, "Learn a model bundle from the stream of normal parts", "teach"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaScoreMode", values, &type);
}

GType gst_lsfa_point_batch_norm_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_POINT_BN_AUTO,
       "Running statistics with a Point-MAE checkpoint, per-sample batch statistics for random "
       "weights",
       "auto"},
      {GST_LSFA_POINT_BN_RUNNING, "The checkpoint's running statistics", "running"},
      {GST_LSFA_POINT_BN_BATCH, "Per-sample batch statistics, as the reference code runs it",
       "batch"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaPointBatchNorm", values, &type);
}
