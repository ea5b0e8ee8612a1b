// GEnum types of the elements' choice properties (registered once, shown by gst-inspect-1.0).
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

// lsfascore mode.
typedef enum { GST_LSFA_SCORE_MODE_INSPECT = 0, GST_LSFA_SCORE_MODE_TEACH = 1 } GstLsfaScoreMode;
#define GST_TYPE_LSFA_SCORE_MODE (gst_lsfa_score_mode_get_type())
GType gst_lsfa_score_mode_get_type(void);

// lsfafeatures point-bn: the values of lsfa::PointBatchNorm, in its order.
typedef enum {
  GST_LSFA_POINT_BN_AUTO = 0,
  GST_LSFA_POINT_BN_RUNNING = 1,
  GST_LSFA_POINT_BN_BATCH = 2
} GstLsfaPointBatchNorm;
#define GST_TYPE_LSFA_POINT_BATCH_NORM (gst_lsfa_point_batch_norm_get_type())
GType gst_lsfa_point_batch_norm_get_type(void);

// lsfafeatures preset: the backbone presets of liblsfa (lsfa::backbone_presets(), in its order).
typedef enum {
  GST_LSFA_PRESET_PAPER = 0,
  GST_LSFA_PRESET_SMALL = 1,
  GST_LSFA_PRESET_VIT_S8 = 2
} GstLsfaPreset;
#define GST_TYPE_LSFA_PRESET (gst_lsfa_preset_get_type())
GType gst_lsfa_preset_get_type(void);

// lsfafeatures modalities: the values of lsfa::Modalities, in its order, plus the other spelling
// lsfa::modalities_from_string accepts, which the property stores as GST_LSFA_MODALITIES_RGB_3D.
// (An alias must be a value of its own: gst-inspect-1.0 shows the last nick of a value, GLib the
// first.)
typedef enum {
  GST_LSFA_MODALITIES_RGB = 0,
  GST_LSFA_MODALITIES_3D = 1,
  GST_LSFA_MODALITIES_RGB_3D = 2,
  GST_LSFA_MODALITIES_3D_RGB = 3
} GstLsfaModalities;
#define GST_TYPE_LSFA_MODALITIES (gst_lsfa_modalities_get_type())
GType gst_lsfa_modalities_get_type(void);

// lsfafeatures device: the CPU, one of the first eight CUDA devices, or the current CUDA device;
// the nicks ("cpu", "cuda:0" ... "cuda:7", "cuda") are the at::Device spellings passed to liblsfa.
typedef enum {
  GST_LSFA_DEVICE_CPU = 0,
  GST_LSFA_DEVICE_CUDA_0 = 1,  // cuda:N is GST_LSFA_DEVICE_CUDA_0 + N
  GST_LSFA_DEVICE_CUDA_7 = 8,
  GST_LSFA_DEVICE_CUDA = 9
} GstLsfaDevice;
#define GST_TYPE_LSFA_DEVICE (gst_lsfa_device_get_type())
GType gst_lsfa_device_get_type(void);

// lsfasrc split.
typedef enum {
  GST_LSFA_SPLIT_TRAIN = 0,
  GST_LSFA_SPLIT_VALIDATION = 1,
  GST_LSFA_SPLIT_TEST = 2
} GstLsfaSplit;
#define GST_TYPE_LSFA_SPLIT (gst_lsfa_split_get_type())
GType gst_lsfa_split_get_type(void);

// lsfasrc dataset: the values of lsfa::DatasetLayout, in its order.
typedef enum {
  GST_LSFA_DATASET_AUTO = 0,
  GST_LSFA_DATASET_MVTEC3D = 1,
  GST_LSFA_DATASET_EYECANDIES = 2
} GstLsfaDataset;
#define GST_TYPE_LSFA_DATASET (gst_lsfa_dataset_get_type())
GType gst_lsfa_dataset_get_type(void);

// lsfafeatures / lsfascore precision: the nicks are lsfa::precision_from_string's names.
typedef enum {
  GST_LSFA_PRECISION_FP32 = 0,
  GST_LSFA_PRECISION_TF32 = 1,
  GST_LSFA_PRECISION_BF16 = 2
} GstLsfaPrecision;
#define GST_TYPE_LSFA_PRECISION (gst_lsfa_precision_get_type())
GType gst_lsfa_precision_get_type(void);

// lsfasrc output: the paired stream, or plain video of the RGB or of the depth.
typedef enum {
  GST_LSFA_SRC_OUTPUT_PAIRED = 0,
  GST_LSFA_SRC_OUTPUT_RGB = 1,
  GST_LSFA_SRC_OUTPUT_DEPTH = 2
} GstLsfaSrcOutput;
#define GST_TYPE_LSFA_SRC_OUTPUT (gst_lsfa_src_output_get_type())
GType gst_lsfa_src_output_get_type(void);

// The nick of `value` in the enum `type` (static storage), e.g. "cuda:0".
const char *gst_lsfa_enum_nick(GType type, gint value);

G_END_DECLS
