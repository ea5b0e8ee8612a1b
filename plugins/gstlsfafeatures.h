// lsfafeatures: pairs RGB and depth frames, runs the frozen backbones (liblsfa FeatureExtractor)
// and forwards the RGB frame with a GstLsfaFeaturesMeta.
#pragma once

#include <gst/base/gstaggregator.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_FEATURE_EXTRACTOR (gst_lsfa_feature_extractor_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaFeatureExtractor, gst_lsfa_feature_extractor, GST,
                     LSFA_FEATURE_EXTRACTOR, GstAggregator)

GST_ELEMENT_REGISTER_DECLARE(lsfafeatures);

G_END_DECLS
