// The properties of lsfascore: their values (ScoreSettings, guarded by the element's object
// lock), their GParamSpecs, and get/set, apart from the element's streaming work.
#pragma once

#include <gst/gst.h>

#include <string>

#include "lsfa/core/device.h"
#include "lsfa_enums.h"

namespace lsfa_gst {

enum ScoreProperty {
  PROP_SCORE_0,
  PROP_MODEL,
  PROP_THRESHOLD,
  PROP_MESSAGE,
  PROP_ATTACH_MAP,
  PROP_ATTACH_FRAME,
  PROP_MIN_ANOMALOUS_FRAMES,
  PROP_MIN_NORMAL_FRAMES,
  PROP_MODE,
  PROP_TEACH_OUTPUT,
  PROP_TEACH_HOLDOUT,
  PROP_TEACH_EPOCHS,
  PROP_USE_MODEL_THRESHOLD,
  PROP_CATEGORY,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_BATCH_SIZE,
};

struct ScoreSettings {
  std::string model;
  gfloat threshold = 0.0f;
  bool use_model_threshold = true;  // false once `threshold` is set
  std::string category;             // recorded in taught bundles
  bool message = true, attach_map = false, attach_frame = false;
  guint min_anomalous = 1, min_normal = 1;
  GstLsfaScoreMode mode = GST_LSFA_SCORE_MODE_INSPECT;
  std::string teach_output;
  gdouble teach_holdout = 0.2;
  guint teach_epochs = 0;
  GstLsfaDevice device = GST_LSFA_DEVICE_CPU;            // where the adaptors and banks run
  GstLsfaPrecision precision = GST_LSFA_PRECISION_FP32;  // lsfa/core/device.h
  guint batch_size = 1;                                  // frames scored with one bank search
};

void score_install_properties(GObjectClass *klass);

// Call with the object lock held. Return false for an id that is not a property of lsfascore.
bool score_set_property(ScoreSettings &s, guint id, const GValue *value);
bool score_get_property(const ScoreSettings &s, guint id, GValue *value);

// The at::Device spelling of the device property ("cpu", "cuda:0", ...) and the precision.
std::string score_device(const ScoreSettings &s);
lsfa::Precision score_precision(const ScoreSettings &s);

}  // namespace lsfa_gst
