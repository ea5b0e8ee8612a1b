// lsfafeatures: pairs RGB and depth frames, runs the frozen backbones (liblsfa FeatureExtractor)
// and forwards the RGB frame with a GstLsfaFeaturesMeta.
#pragma once

#include <gst/base/gstaggregator.h>

G_BEGIN_DECLS

#define GST_TYPE_LSFA_FEATURES_ELEMENT (gst_lsfa_features_element_get_type())
G_DECLARE_FINAL_TYPE(GstLsfaFeaturesElement, gst_lsfa_features_element, GST, LSFA_FEATURES_ELEMENT,
                     GstAggregator)

GST_ELEMENT_REGISTER_DECLARE(lsfafeatures);

G_END_DECLS
