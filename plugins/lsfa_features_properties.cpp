#include "lsfa_features_properties.h"

#include "lsfa_gvalue.h"

namespace lsfa_gst {

lsfa::ExtractorConfig features_extractor_config(const FeaturesSettings &s) {
  static_assert(static_cast<int>(lsfa::PointBatchNorm::kBatch) == GST_LSFA_POINT_BN_BATCH &&
                    static_cast<int>(lsfa::PointBatchNorm::kRunning) == GST_LSFA_POINT_BN_RUNNING,
                "the point-bn enum follows lsfa::PointBatchNorm");
  static_assert(static_cast<int>(lsfa::Modalities::kRgb) == GST_LSFA_MODALITIES_RGB &&
                    static_cast<int>(lsfa::Modalities::kPoints) == GST_LSFA_MODALITIES_3D &&
                    static_cast<int>(lsfa::Modalities::kFused) == GST_LSFA_MODALITIES_RGB_3D,
                "the modalities enum follows lsfa::Modalities");
  lsfa::ExtractorConfig config;
  config.preset = gst_lsfa_enum_nick(GST_TYPE_LSFA_PRESET, s.preset);
  config.rgb_weights = s.rgb_weights;
  config.point_weights = s.point_weights;
  config.seed = s.seed;
  config.device = features_device(s);
  config.precision = features_precision(s);
  config.modalities = static_cast<lsfa::Modalities>(s.modalities);
  config.point_batch_stats = lsfa::uses_batch_statistics(
      static_cast<lsfa::PointBatchNorm>(s.point_bn), !s.point_weights.empty());
  return config;
}

std::string features_device(const FeaturesSettings &s) {
  return gst_lsfa_enum_nick(GST_TYPE_LSFA_DEVICE, s.device);
}

lsfa::Precision features_precision(const FeaturesSettings &s) {
  return lsfa::precision_from_string(gst_lsfa_enum_nick(GST_TYPE_LSFA_PRECISION, s.precision));
}

bool features_set_property(FeaturesSettings &s, guint id, const GValue *value) {
  switch (id) {
    case PROP_MODEL:
      s.model = string_from_value(value);
      return true;
    case PROP_RGB_WEIGHTS:
      s.rgb_weights = string_from_value(value);
      return true;
    case PROP_POINT_WEIGHTS:
      s.point_weights = string_from_value(value);
      return true;
    case PROP_PRESET:
      s.preset = static_cast<GstLsfaPreset>(g_value_get_enum(value));
      return true;
    case PROP_MODALITIES:
      s.modalities = static_cast<GstLsfaModalities>(g_value_get_enum(value));
      if (s.modalities == GST_LSFA_MODALITIES_3D_RGB) s.modalities = GST_LSFA_MODALITIES_RGB_3D;
      return true;
    case PROP_SEED:
      s.seed = g_value_get_uint64(value);
      return true;
    case PROP_THREADS:
      s.threads = g_value_get_int(value);
      return true;
    case PROP_DEVICE:
      s.device = static_cast<GstLsfaDevice>(g_value_get_enum(value));
      return true;
    case PROP_DEPTH_SCALE:
      s.depth_scale = g_value_get_double(value);
      return true;
    case PROP_INTRINSICS: {
      std::vector<double> k = doubles_from_array(value);
      if (k.empty()) {
        s.has_intrinsics = false;
      } else if (k.size() == 4) {
        s.intrinsics = {k[0], k[1], k[2], k[3]};
        s.has_intrinsics = true;
      } else {
        g_warning("lsfafeatures: intrinsics needs 4 values <fx, fy, cx, cy>, got %zu; ignored",
                  k.size());
      }
      return true;
    }
    case PROP_INTRINSICS_SIZE: {
      std::vector<int> size = ints_from_array(value);
      if (size.empty()) {
        s.intrinsics_width = s.intrinsics_height = 0;
      } else if (size.size() == 2) {
        s.intrinsics_width = size[0];
        s.intrinsics_height = size[1];
      } else {
        g_warning("lsfafeatures: intrinsics-size needs 2 values <width, height>, got %zu; ignored",
                  size.size());
      }
      return true;
    }
    case PROP_PAIR_TOLERANCE:
      s.pair_tolerance = g_value_get_uint64(value);
      return true;
    case PROP_PAIR_TIMEOUT:
      s.pair_timeout = g_value_get_uint64(value);
      return true;
    case PROP_QOS:
      s.qos = g_value_get_boolean(value);
      return true;
    case PROP_POINT_BN:
      s.point_bn = static_cast<GstLsfaPointBatchNorm>(g_value_get_enum(value));
      return true;
    case PROP_BATCH_SIZE:
      s.batch_size = g_value_get_uint(value);
      return true;
    case PROP_PRECISION:
      s.precision = static_cast<GstLsfaPrecision>(g_value_get_enum(value));
      return true;
    default:
      return false;
  }
}

bool features_get_property(const FeaturesSettings &s, guint id, GValue *value) {
  switch (id) {
    case PROP_MODEL:
      set_value_string(value, s.model);
      return true;
    case PROP_RGB_WEIGHTS:
      set_value_string(value, s.rgb_weights);
      return true;
    case PROP_POINT_WEIGHTS:
      set_value_string(value, s.point_weights);
      return true;
    case PROP_PRESET:
      g_value_set_enum(value, s.preset);
      return true;
    case PROP_MODALITIES:
      g_value_set_enum(value, s.modalities);
      return true;
    case PROP_SEED:
      g_value_set_uint64(value, s.seed);
      return true;
    case PROP_THREADS:
      g_value_set_int(value, s.threads);
      return true;
    case PROP_DEVICE:
      g_value_set_enum(value, s.device);
      return true;
    case PROP_DEPTH_SCALE:
      g_value_set_double(value, s.depth_scale);
      return true;
    case PROP_INTRINSICS:
      if (s.has_intrinsics)
        set_value_array(value, std::vector<double>{s.intrinsics.fx, s.intrinsics.fy,
                                                   s.intrinsics.cx, s.intrinsics.cy});
      return true;
    case PROP_INTRINSICS_SIZE:
      if (s.intrinsics_width > 0)
        set_value_array(value, std::vector<int>{s.intrinsics_width, s.intrinsics_height});
      return true;
    case PROP_PAIR_TOLERANCE:
      g_value_set_uint64(value, s.pair_tolerance);
      return true;
    case PROP_PAIR_TIMEOUT:
      g_value_set_uint64(value, s.pair_timeout);
      return true;
    case PROP_DROPPED_RGB:
      g_value_set_uint64(value, s.dropped_rgb);
      return true;
    case PROP_DROPPED_DEPTH:
      g_value_set_uint64(value, s.dropped_depth);
      return true;
    case PROP_QOS:
      g_value_set_boolean(value, s.qos);
      return true;
    case PROP_POINT_BN:
      g_value_set_enum(value, s.point_bn);
      return true;
    case PROP_DROPPED_LATE:
      g_value_set_uint64(value, s.dropped_late);
      return true;
    case PROP_BATCH_SIZE:
      g_value_set_uint(value, s.batch_size);
      return true;
    case PROP_PRECISION:
      g_value_set_enum(value, s.precision);
      return true;
    default:
      return false;
  }
}

void features_install_properties(GObjectClass *klass) {
  const FeaturesSettings defaults;
  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_READY);
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING);
  const auto readonly = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const auto element_flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property(
      klass, PROP_MODEL,
      g_param_spec_string(
          "model", "Model bundle",
          "Optional model bundle: backbone preset, preprocessing and modalities are "
          "taken from it (overriding preset, modalities, seed, point-bn) so the features "
          "match its memory bank; the checkpoint identities are checked",
          nullptr, ready));
  g_object_class_install_property(
      klass, PROP_RGB_WEIGHTS,
      g_param_spec_string("rgb-weights", "RGB weights",
                          "DINO ViT checkpoint (.pth or .safetensors); empty = random "
                          "initialisation from seed",
                          nullptr, ready));
  g_object_class_install_property(
      klass, PROP_POINT_WEIGHTS,
      g_param_spec_string("point-weights", "Point weights",
                          "Point-MAE checkpoint (.pth); empty = random initialisation from seed",
                          nullptr, ready));
  g_object_class_install_property(
      klass, PROP_PRESET,
      g_param_spec_enum("preset", "Preset",
                        "Backbone size preset, as lsfa --preset (ignored when model is set)",
                        GST_TYPE_LSFA_PRESET, defaults.preset, ready));
  g_object_class_install_property(
      klass, PROP_MODALITIES,
      g_param_spec_enum("modalities", "Modalities",
                        "Modalities to extract, as lsfa --modalities (ignored when model is set)",
                        GST_TYPE_LSFA_MODALITIES, defaults.modalities, ready));
  g_object_class_install_property(
      klass, PROP_SEED,
      g_param_spec_uint64("seed", "Seed",
                          "Seed of the random initialisation of backbones without checkpoint", 0,
                          G_MAXUINT64, defaults.seed, ready));
  g_object_class_install_property(
      klass, PROP_THREADS,
      g_param_spec_int("threads", "Threads",
                       "LibTorch intra-op threads (process-wide; 0 = all cores)", 0, 1024,
                       defaults.threads, ready));
  g_object_class_install_property(
      klass, PROP_DEVICE,
      g_param_spec_enum("device", "Device",
                        "Compute device of the backbones (cuda:N needs a LibTorch built with CUDA)",
                        GST_TYPE_LSFA_DEVICE, defaults.device, ready));
  g_object_class_install_property(
      klass, PROP_DEPTH_SCALE,
      g_param_spec_double("depth-scale", "Depth scale",
                          "Metres per depth unit, used when the depth caps have no depth-scale "
                          "field (0 = unset)",
                          0.0, G_MAXDOUBLE, defaults.depth_scale, playing));
  g_object_class_install_property(
      klass, PROP_INTRINSICS,
      gst_param_spec_array(
          "intrinsics", "Intrinsics",
          "Depth camera intrinsics <fx, fy, cx, cy> in pixels, used when the depth "
          "caps have no intrinsics field (empty = unset)",
          g_param_spec_double("value", "Value", "One intrinsic parameter", -G_MAXDOUBLE,
                              G_MAXDOUBLE, 0.0, element_flags),
          playing));
  g_object_class_install_property(
      klass, PROP_INTRINSICS_SIZE,
      gst_param_spec_array(
          "intrinsics-size", "Intrinsics size",
          "Image size <width, height> the intrinsics were calibrated for; when it "
          "differs from the depth size the intrinsics are rescaled (empty = the "
          "depth size)",
          g_param_spec_int("value", "Value", "Width or height", 1, G_MAXINT, 1, element_flags),
          playing));
  g_object_class_install_property(
      klass, PROP_PAIR_TOLERANCE,
      g_param_spec_uint64("pair-tolerance", "Pair tolerance",
                          "Largest running-time difference (ns) of an rgb and a depth frame that "
                          "belong together; also the latency the element adds",
                          0, G_MAXUINT64, defaults.pair_tolerance, playing));
  g_object_class_install_property(
      klass, PROP_PAIR_TIMEOUT,
      g_param_spec_uint64("pair-timeout", "Pair timeout",
                          "Live pipelines: how long (ns) past its running time an rgb frame waits "
                          "for depth; then it is dropped (counted in dropped-rgb) and a warning "
                          "says the depth stream stalled. 0 = wait for ever",
                          0, G_MAXUINT64, defaults.pair_timeout, playing));
  g_object_class_install_property(
      klass, PROP_DROPPED_RGB,
      g_param_spec_uint64("dropped-rgb", "Dropped rgb",
                          "Rgb frames dropped because no depth frame matched them", 0, G_MAXUINT64,
                          0, readonly));
  g_object_class_install_property(
      klass, PROP_DROPPED_DEPTH,
      g_param_spec_uint64("dropped-depth", "Dropped depth",
                          "Depth frames dropped because no rgb frame matched them", 0, G_MAXUINT64,
                          0, readonly));
  g_object_class_install_property(
      klass, PROP_POINT_BN,
      g_param_spec_enum("point-bn", "Point BatchNorm",
                        "Statistics of the Point-MAE BatchNorm layers, as lsfa --point-bn (ignored "
                        "when model is set)",
                        GST_TYPE_LSFA_POINT_BATCH_NORM, defaults.point_bn, ready));
  g_object_class_install_property(
      klass, PROP_QOS,
      g_param_spec_boolean("qos", "QoS",
                           "Drop frames before feature extraction when downstream reports they "
                           "would be late (QoS events)",
                           defaults.qos, playing));
  g_object_class_install_property(
      klass, PROP_DROPPED_LATE,
      g_param_spec_uint64("dropped-late", "Dropped late",
                          "Frames dropped before extraction because of QoS", 0, G_MAXUINT64, 0,
                          readonly));
  g_object_class_install_property(
      klass, PROP_BATCH_SIZE,
      g_param_spec_uint("batch-size", "Batch size",
                        "Frames run through the backbones in one forward (the first frame waits "
                        "for the others; EOS runs a partial batch); the features equal those of "
                        "batch-size=1",
                        1, 64, defaults.batch_size, ready));
  g_object_class_install_property(
      klass, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "Backbone precision: \"fp32\", \"tf32\" (TF32 products on CUDA) or "
                        "\"bf16\" (bfloat16 autocast)",
                        GST_TYPE_LSFA_PRECISION, defaults.precision, ready));
}

}  // namespace lsfa_gst
