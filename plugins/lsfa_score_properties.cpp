#include "lsfa_score_properties.h"

#include "lsfa_gvalue.h"

namespace lsfa_gst {

std::string score_device(const ScoreSettings &s) {
  return gst_lsfa_enum_nick(GST_TYPE_LSFA_DEVICE, s.device);
}

lsfa::Precision score_precision(const ScoreSettings &s) {
  return lsfa::precision_from_string(gst_lsfa_enum_nick(GST_TYPE_LSFA_PRECISION, s.precision));
}

bool score_set_property(ScoreSettings &s, guint id, const GValue *value) {
  switch (id) {
    case PROP_MODEL:
      s.model = string_from_value(value);
      return true;
    case PROP_THRESHOLD:
      s.threshold = g_value_get_float(value);
      s.use_model_threshold = false;
      return true;
    case PROP_USE_MODEL_THRESHOLD:
      s.use_model_threshold = g_value_get_boolean(value);
      return true;
    case PROP_DEVICE:
      s.device = static_cast<GstLsfaDevice>(g_value_get_enum(value));
      return true;
    case PROP_PRECISION:
      s.precision = static_cast<GstLsfaPrecision>(g_value_get_enum(value));
      return true;
    case PROP_BATCH_SIZE:
      s.batch_size = g_value_get_uint(value);
      return true;
    case PROP_CATEGORY:
      s.category = string_from_value(value);
      return true;
    case PROP_MESSAGE:
      s.message = g_value_get_boolean(value);
      return true;
    case PROP_ATTACH_MAP:
      s.attach_map = g_value_get_boolean(value);
      return true;
    case PROP_ATTACH_FRAME:
      s.attach_frame = g_value_get_boolean(value);
      return true;
    case PROP_MIN_ANOMALOUS_FRAMES:
      s.min_anomalous = g_value_get_uint(value);
      return true;
    case PROP_MIN_NORMAL_FRAMES:
      s.min_normal = g_value_get_uint(value);
      return true;
    case PROP_MODE:
      s.mode = static_cast<GstLsfaScoreMode>(g_value_get_enum(value));
      return true;
    case PROP_TEACH_OUTPUT:
      s.teach_output = string_from_value(value);
      return true;
    case PROP_TEACH_EPOCHS:
      s.teach_epochs = g_value_get_uint(value);
      return true;
    case PROP_TEACH_HOLDOUT:
      s.teach_holdout = g_value_get_double(value);
      return true;
    default:
      return false;
  }
}

bool score_get_property(const ScoreSettings &s, guint id, GValue *value) {
  switch (id) {
    case PROP_MODEL:
      set_value_string(value, s.model);
      return true;
    case PROP_THRESHOLD:
      g_value_set_float(value, s.threshold);
      return true;
    case PROP_USE_MODEL_THRESHOLD:
      g_value_set_boolean(value, s.use_model_threshold);
      return true;
    case PROP_DEVICE:
      g_value_set_enum(value, s.device);
      return true;
    case PROP_PRECISION:
      g_value_set_enum(value, s.precision);
      return true;
    case PROP_BATCH_SIZE:
      g_value_set_uint(value, s.batch_size);
      return true;
    case PROP_CATEGORY:
      set_value_string(value, s.category);
      return true;
    case PROP_MESSAGE:
      g_value_set_boolean(value, s.message);
      return true;
    case PROP_ATTACH_MAP:
      g_value_set_boolean(value, s.attach_map);
      return true;
    case PROP_ATTACH_FRAME:
      g_value_set_boolean(value, s.attach_frame);
      return true;
    case PROP_MIN_ANOMALOUS_FRAMES:
      g_value_set_uint(value, s.min_anomalous);
      return true;
    case PROP_MIN_NORMAL_FRAMES:
      g_value_set_uint(value, s.min_normal);
      return true;
    case PROP_MODE:
      g_value_set_enum(value, s.mode);
      return true;
    case PROP_TEACH_OUTPUT:
      set_value_string(value, s.teach_output);
      return true;
    case PROP_TEACH_EPOCHS:
      g_value_set_uint(value, s.teach_epochs);
      return true;
    case PROP_TEACH_HOLDOUT:
      g_value_set_double(value, s.teach_holdout);
      return true;
    default:
      return false;
  }
}

void score_install_properties(GObjectClass *klass) {
  const ScoreSettings d;
  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      klass, PROP_MODEL,
      g_param_spec_string("model", "Model bundle",
                          "Model bundle written by `lsfa fit` or `lsfa train` (required in inspect "
                          "mode)",
                          nullptr, ready));
  g_object_class_install_property(
      klass, PROP_THRESHOLD,
      g_param_spec_float("threshold", "Threshold",
                         "Image score threshold of the verdict, any value (normalised units); "
                         "setting it clears use-model-threshold",
                         -G_MAXFLOAT, G_MAXFLOAT, d.threshold, playing));
  g_object_class_install_property(
      klass, PROP_USE_MODEL_THRESHOLD,
      g_param_spec_boolean("use-model-threshold", "Use model threshold",
                           "Judge with the bundle's calibrated threshold instead of the threshold "
                           "property",
                           TRUE, playing));
  g_object_class_install_property(
      klass, PROP_CATEGORY,
      g_param_spec_string("category", "Category",
                          "Product category recorded in the bundle teach mode writes (lsfa eval "
                          "checks it)",
                          nullptr, ready));
  g_object_class_install_property(
      klass, PROP_MESSAGE,
      g_param_spec_boolean("message", "Message", "Post an lsfa-anomaly element message per frame",
                           d.message, playing));
  g_object_class_install_property(
      klass, PROP_ATTACH_MAP,
      g_param_spec_boolean("attach-map", "Attach map",
                           "Add the anomaly map as a GstSample field \"map\" to lsfa-anomaly "
                           "messages",
                           d.attach_map, playing));
  g_object_class_install_property(
      klass, PROP_ATTACH_FRAME,
      g_param_spec_boolean("attach-frame", "Attach frame",
                           "Add the frame as a GstSample field \"frame\" to lsfa-anomaly messages",
                           d.attach_frame, playing));
  g_object_class_install_property(
      klass, PROP_MIN_ANOMALOUS_FRAMES,
      g_param_spec_uint("min-anomalous-frames", "Min anomalous frames",
                        "Consecutive anomalous frames that start an alarm (lsfa-anomaly-state "
                        "state=start)",
                        1, G_MAXUINT, d.min_anomalous, ready));
  g_object_class_install_property(
      klass, PROP_MIN_NORMAL_FRAMES,
      g_param_spec_uint("min-normal-frames", "Min normal frames",
                        "Consecutive normal frames that end an alarm (lsfa-anomaly-state "
                        "state=stop)",
                        1, G_MAXUINT, d.min_normal, ready));

  g_object_class_install_property(
      klass, PROP_MODE,
      g_param_spec_enum("mode", "Mode",
                        "inspect: score frames against model; teach: learn a bundle from the "
                        "stream (written to teach-output at EOS or on teach-finish)",
                        GST_TYPE_LSFA_SCORE_MODE, d.mode, ready));
  g_object_class_install_property(
      klass, PROP_TEACH_OUTPUT,
      g_param_spec_string("teach-output", "Teach output",
                          "Model bundle file written by teach mode (atomically)", nullptr, ready));
  g_object_class_install_property(
      klass, PROP_TEACH_HOLDOUT,
      g_param_spec_double("teach-holdout", "Teach hold-out",
                          "Fraction of the taught frames held out of the memory banks to "
                          "calibrate normalisation and thresholds",
                          0.05, 0.9, d.teach_holdout, ready));
  g_object_class_install_property(
      klass, PROP_TEACH_EPOCHS,
      g_param_spec_uint("teach-epochs", "Teach epochs",
                        "Epochs of LSFA adaptation (the trainer of `lsfa train`) before the memory "
                        "banks are built; 0 = no adaptation (as `lsfa fit`)",
                        0, 1000, d.teach_epochs, ready));
  g_object_class_install_property(
      klass, PROP_DEVICE,
      g_param_spec_enum("device", "Device",
                        "Compute device of the adaptors and memory banks (features from another "
                        "device are copied here; cuda:N needs a LibTorch built with CUDA)",
                        GST_TYPE_LSFA_DEVICE, d.device, ready));
  g_object_class_install_property(
      klass, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "fp32, tf32 (TF32 products on CUDA) or bf16 (bfloat16 adaptors, float16 "
                        "banks)",
                        GST_TYPE_LSFA_PRECISION, d.precision, ready));
  g_object_class_install_property(
      klass, PROP_BATCH_SIZE,
      g_param_spec_uint("batch-size", "Batch size",
                        "Frames scored together with one memory-bank search (the first frame waits "
                        "for the others; EOS scores a partial batch); the results equal those of "
                        "batch-size=1. Teach mode collects frames one by one",
                        1, 64, d.batch_size, ready));
}

}  // namespace lsfa_gst
