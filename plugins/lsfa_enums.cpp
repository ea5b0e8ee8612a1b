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

GType gst_lsfa_preset_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_PRESET_PAPER,
       "DINO ViT-B/8 + Point-MAE (dim 384, depth 12), 1024 groups x 128 points: the LSFA paper's "
       "backbones",
       "paper"},
      {GST_LSFA_PRESET_SMALL,
       "ViT and Point-MAE of dim 192, depth 4, 256 groups x 32 points: tests and demos on small "
       "machines",
       "small"},
      {GST_LSFA_PRESET_VIT_S8, "DINO ViT-S/8 + the paper's Point-MAE: about 4x less RGB compute",
       "vit-s8"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaPreset", values, &type);
}

GType gst_lsfa_modalities_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_MODALITIES_RGB, "RGB only (DINO ViT)", "rgb"},
      {GST_LSFA_MODALITIES_3D, "3D only (Point-MAE)", "3d"},
      {GST_LSFA_MODALITIES_RGB_3D, "RGB and 3D, their scores fused", "rgb,3d"},
      {GST_LSFA_MODALITIES_3D_RGB, "Same as rgb,3d (reads back as rgb,3d)", "3d,rgb"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaModalities", values, &type);
}

GType gst_lsfa_device_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_DEVICE_CPU, "CPU", "cpu"},
      {GST_LSFA_DEVICE_CUDA_0 + 0, "CUDA device 0 (needs a CUDA LibTorch)", "cuda:0"},
      {GST_LSFA_DEVICE_CUDA_0 + 1, "CUDA device 1", "cuda:1"},
      {GST_LSFA_DEVICE_CUDA_0 + 2, "CUDA device 2", "cuda:2"},
      {GST_LSFA_DEVICE_CUDA_0 + 3, "CUDA device 3", "cuda:3"},
      {GST_LSFA_DEVICE_CUDA_0 + 4, "CUDA device 4", "cuda:4"},
      {GST_LSFA_DEVICE_CUDA_0 + 5, "CUDA device 5", "cuda:5"},
      {GST_LSFA_DEVICE_CUDA_0 + 6, "CUDA device 6", "cuda:6"},
      {GST_LSFA_DEVICE_CUDA_7, "CUDA device 7", "cuda:7"},
      {GST_LSFA_DEVICE_CUDA, "The current CUDA device (LibTorch's choice, normally 0)", "cuda"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaDevice", values, &type);
}

GType gst_lsfa_precision_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_PRECISION_FP32, "float32 everywhere", "fp32"},
      {GST_LSFA_PRECISION_TF32, "TF32 matrix products on CUDA (fp32 on the CPU)", "tf32"},
      {GST_LSFA_PRECISION_BF16, "bfloat16 autocast networks, float16 memory banks", "bf16"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaPrecision", values, &type);
}

GType gst_lsfa_split_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_SPLIT_TRAIN, "Training samples (defect-free)", "train"},
      {GST_LSFA_SPLIT_VALIDATION, "Validation samples (defect-free)", "validation"},
      {GST_LSFA_SPLIT_TEST, "Test samples (good and defective, with ground truth)", "test"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaSplit", values, &type);
}

GType gst_lsfa_dataset_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_DATASET_AUTO, "Detected from the category directory", "auto"},
      {GST_LSFA_DATASET_MVTEC3D,
       "MVTec 3D-AD layout (also lsfa synth): <split>/<defect>/{rgb,xyz,gt}/", "mvtec3d"},
      {GST_LSFA_DATASET_EYECANDIES, "Eyecandies layout: {train,val,test_public}/data/",
       "eyecandies"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaDataset", values, &type);
}

GType gst_lsfa_src_output_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_LSFA_SRC_OUTPUT_PAIRED,
       "RGB frames carrying their XYZ cloud and mask (meta:LsfaRgbd), for lsfafeatures", "paired"},
      {GST_LSFA_SRC_OUTPUT_RGB, "Plain RGB video (no depth), for ordinary video elements", "rgb"},
      {GST_LSFA_SRC_OUTPUT_DEPTH,
       "Plain RGB video of the depth: z through the turbo colour map, nearest blue to farthest "
       "red per sample, unmeasured points black",
       "depth"},
      {0, nullptr, nullptr}};
  return register_enum("GstLsfaSrcOutput", values, &type);
}

const char *gst_lsfa_enum_nick(GType type, gint value) {
  // The class of a static enum type lives as long as the process once created (a param spec
  // holds it); the reference taken when it does not exist yet is kept for the same reason.
  gpointer klass = g_type_class_peek(type);
  if (klass == nullptr) klass = g_type_class_ref(type);
  GEnumValue *v = g_enum_get_value(static_cast<GEnumClass *>(klass), value);
  return v ? v->value_nick : "";
}
