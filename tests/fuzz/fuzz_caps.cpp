// The depth calibration caps fields (depth-scale, intrinsics, intrinsics-size) from any caps
// string: parse, and when accepted, write back and parse again to the same values.
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <sanitizer/lsan_interface.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void quiet(const gchar *, GLogLevelFlags, const gchar *, gpointer) {}

bool same(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  g_log_set_default_handler(quiet, nullptr);
  gst_init(nullptr, nullptr);
  gst_lsfa_caps_init();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  // GStreamer 1.22's caps parser leaks GValues when it gives up on a malformed string (e.g. a
  // caps feature or a list nested in another): third-party leaks, kept out of the leak check.
  __lsan_disable();
  GstCaps *caps = gst_caps_from_string(text.c_str());
  __lsan_enable();
  if (!caps) return 0;
  (void)gst_lsfa_caps_has_rgbd_feature(caps);
  GstLsfaDepthCalibration cal{};
  GError *error = nullptr;
  if (gst_lsfa_depth_calibration_from_caps(caps, &cal, &error)) {
    GstCaps *out = gst_caps_new_empty_simple("video/x-raw");
    gst_lsfa_depth_calibration_to_caps(&cal, out);
    GstLsfaDepthCalibration back{};
    if (!gst_lsfa_depth_calibration_from_caps(out, &back, nullptr) || back.flags != cal.flags)
      std::abort();
    if ((cal.flags & GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE) &&
        !same(back.depth_scale, cal.depth_scale))
      std::abort();
    if ((cal.flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS) &&
        !(same(back.intrinsics.fx, cal.intrinsics.fx) &&
          same(back.intrinsics.cy, cal.intrinsics.cy)))
      std::abort();
    if (cal.flags & GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE) {
      if (back.intrinsics_width != cal.intrinsics_width) std::abort();
      (void)gst_lsfa_intrinsics_rescale(&cal.intrinsics, cal.intrinsics_width,
                                        cal.intrinsics_height, 640, 480);
    }
    gst_caps_unref(out);
  } else if (error == nullptr) {
    std::abort();  // a refusal always says why
  }
  g_clear_error(&error);
  gst_caps_unref(caps);
  return 0;
}
