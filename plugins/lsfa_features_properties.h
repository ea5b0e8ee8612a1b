// The properties of lsfafeatures: their values (FeaturesSettings, guarded by the element's object
// lock), their GParamSpecs, and get/set. Kept apart from the element so gstlsfafeatures.cpp holds
// only the streaming work.
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>

#include "lsfa/backbones/feature_extractor.h"
#include "lsfa_enums.h"

#include <string>

namespace lsfa_gst {

enum FeaturesProperty {
  PROP_FEATURES_0,
  PROP_MODEL,
  PROP_RGB_WEIGHTS,
  PROP_POINT_WEIGHTS,
  PROP_PRESET,
  PROP_MODALITIES,
  PROP_SEED,
  PROP_THREADS,
  PROP_DEVICE,
  PROP_DEPTH_SCALE,
  PROP_INTRINSICS,
  PROP_INTRINSICS_SIZE,
  PROP_PAIR_TOLERANCE,
  PROP_DROPPED_RGB,
  PROP_DROPPED_DEPTH,
  PROP_QOS,
  PROP_DROPPED_LATE,
  PROP_POINT_BN,
  PROP_PAIR_TIMEOUT,
  PROP_BATCH_SIZE,
  PROP_PRECISION,
};

constexpr GstClockTime kDefaultPairTolerance = 10 * GST_MSECOND;

struct FeaturesSettings {
  std::string model, rgb_weights, point_weights;
  GstLsfaPreset preset = GST_LSFA_PRESET_SMALL;
  GstLsfaModalities modalities = GST_LSFA_MODALITIES_RGB_3D;
  GstLsfaDevice device = GST_LSFA_DEVICE_CPU;
  guint64 seed = 0;
  gint threads = 0;
  gdouble depth_scale = 0.0;  // 0 = unset
  bool has_intrinsics = false;
  GstLsfaIntrinsics intrinsics{};
  gint intrinsics_width = 0, intrinsics_height = 0;  // 0 = the depth size
  GstClockTime pair_tolerance = kDefaultPairTolerance;
  GstClockTime pair_timeout = 0;  // 0 = wait for depth for ever
  bool qos = true;
  GstLsfaPointBatchNorm point_bn = GST_LSFA_POINT_BN_AUTO;
  guint batch_size = 1;            // frames per backbone forward
  GstLsfaPrecision precision = GST_LSFA_PRECISION_FP32;  // lsfa/core/device.h
  // Read-only counters.
  guint64 dropped_rgb = 0, dropped_depth = 0, dropped_late = 0;
};

void features_install_properties(GObjectClass *klass);

// The extractor the properties ask for (without a model bundle). Throws lsfa::Error on bad values.
// features_precision: the precision property (lsfa::Error when not fp32, tf32 or bf16).
lsfa::ExtractorConfig features_extractor_config(const FeaturesSettings &s);
lsfa::Precision features_precision(const FeaturesSettings &s);

// The at::Device spelling of the device property ("cpu", "cuda:0", ...).
std::string features_device(const FeaturesSettings &s);

// Call with the object lock held. Return false for an id that is not a property of lsfafeatures.
// A malformed array value is ignored with a warning (GObject set_property cannot fail).
bool features_set_property(FeaturesSettings &s, guint id, const GValue *value);
bool features_get_property(const FeaturesSettings &s, guint id, GValue *value);

}  // namespace lsfa_gst
