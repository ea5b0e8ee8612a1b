// The fixture of the plugin suites: GStreamer and the lsfa caps library initialised once per suite;
// the plugin itself is found through GST_PLUGIN_PATH (set by meson).
#pragma once

#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gtest/gtest.h>

namespace lsfa_gst_test {

class GstTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gst_init(nullptr, nullptr);
    gst_lsfa_caps_init();
  }
};

}  // namespace lsfa_gst_test
