// The plugin as a whole: every element exists with its documented defaults, and gst-inspect output
// matches docs/inspect/.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gst_test.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"
#include "lsfa_hysteresis.h"
#include "lsfa_pairing.h"
#include "test_util.h"

namespace {

using ElementsTest = lsfa_gst_test::GstTest;

// ----------------------------------------------------------------------------- factories

TEST_F(ElementsTest, AllElementsExistWithDocumentedDefaults) {
  for (const char *name : {"lsfafeatures", "lsfascore", "lsfaoverlay", "lsfasrc", "lsfametapublish",
                           "lsfarecorder"}) {
    GstElement *e = gst_element_factory_make(name, nullptr);
    ASSERT_NE(e, nullptr) << name << " not found (GST_PLUGIN_PATH=" << g_getenv("GST_PLUGIN_PATH")
                          << ")";
    gst_object_unref(e);
  }
  GstElement *f = gst_element_factory_make("lsfafeatures", nullptr);
  guint64 tol = 0;
  gchar *preset = nullptr;
  g_object_get(f, "pair-tolerance", &tol, "preset", &preset, nullptr);
  EXPECT_EQ(tol, 10 * GST_MSECOND);
  EXPECT_STREQ(preset, "small");
  g_free(preset);
  // The depth pad is a request pad; a second one is refused.
  GstPad *depth = gst_element_request_pad_simple(f, "depth");
  ASSERT_NE(depth, nullptr);
  EXPECT_STREQ(GST_PAD_NAME(depth), "depth");
  EXPECT_EQ(gst_element_request_pad_simple(f, "depth"), nullptr);
  gst_element_release_request_pad(f, depth);
  gst_object_unref(depth);
  GstPad *again = gst_element_request_pad_simple(f, "depth");
  EXPECT_NE(again, nullptr);
  gst_object_unref(again);
  // point-bn: the choices and the default of `lsfa --point-bn` (auto | running | batch).
  GParamSpec *bn = g_object_class_find_property(G_OBJECT_GET_CLASS(f), "point-bn");
  ASSERT_NE(bn, nullptr);
  ASSERT_TRUE(G_IS_PARAM_SPEC_ENUM(bn));
  GEnumClass *bn_class = G_PARAM_SPEC_ENUM(bn)->enum_class;
  std::vector<std::string> nicks;
  for (guint i = 0; i < bn_class->n_values; ++i) nicks.push_back(bn_class->values[i].value_nick);
  EXPECT_EQ(nicks, (std::vector<std::string>{"auto", "running", "batch"}));
  EXPECT_STREQ(g_enum_get_value(bn_class, G_PARAM_SPEC_ENUM(bn)->default_value)->value_nick,
               "auto");

  gst_object_unref(f);

  GstElement *s = gst_element_factory_make("lsfascore", nullptr);
  gfloat thr = 1;
  gboolean message = FALSE, use_model = FALSE;
  g_object_get(s, "threshold", &thr, "message", &message, "use-model-threshold", &use_model,
               nullptr);
  EXPECT_FLOAT_EQ(thr, 0.0f);
  EXPECT_TRUE(use_model);
  EXPECT_TRUE(message);
  // Setting a threshold (negative ones too) switches from the model's to it.
  g_object_set(s, "threshold", -2.5f, nullptr);
  g_object_get(s, "threshold", &thr, "use-model-threshold", &use_model, nullptr);
  EXPECT_FLOAT_EQ(thr, -2.5f);
  EXPECT_FALSE(use_model);
  gst_object_unref(s);
}

TEST_F(ElementsTest, FeaturesIntrinsicsPropertyRoundTrips) {
  GstElement *f = gst_element_factory_make("lsfafeatures", nullptr);
  gst_util_set_object_arg(G_OBJECT(f), "intrinsics", "<600.0, 601.0, 320.5, 240.5>");
  gst_util_set_object_arg(G_OBJECT(f), "intrinsics-size", "<640, 480>");
  GValue v = G_VALUE_INIT;
  g_value_init(&v, GST_TYPE_ARRAY);
  g_object_get_property(G_OBJECT(f), "intrinsics", &v);
  ASSERT_EQ(gst_value_array_get_size(&v), 4u);
  EXPECT_DOUBLE_EQ(g_value_get_double(gst_value_array_get_value(&v, 1)), 601.0);
  EXPECT_DOUBLE_EQ(g_value_get_double(gst_value_array_get_value(&v, 3)), 240.5);
  g_value_unset(&v);
  g_value_init(&v, GST_TYPE_ARRAY);
  g_object_get_property(G_OBJECT(f), "intrinsics-size", &v);
  ASSERT_EQ(gst_value_array_get_size(&v), 2u);
  EXPECT_EQ(g_value_get_int(gst_value_array_get_value(&v, 0)), 640);
  g_value_unset(&v);
  gst_object_unref(f);
}

// ----------------------------------------------------------------------------- gst-inspect

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(ElementsTest, InspectOutputIsCleanAndDocumented) {
  const char *root = g_getenv("LSFA_SOURCE_ROOT");
  ASSERT_NE(root, nullptr) << "run through meson test (LSFA_SOURCE_ROOT)";
  lsfa::test::TempDir tmp;
  for (const char *name : {"lsfafeatures", "lsfascore", "lsfaoverlay", "lsfasrc", "lsfametapublish",
                           "lsfarecorder"}) {
    SCOPED_TRACE(name);
    // The output without the line naming the build directory; stderr kept apart.
    std::string out, err_file = tmp.file(std::string(name) + ".err");
    int rc = lsfa::test::run_command(
        std::string("GST_INSPECT_NO_COLORS=1 PAGER=cat GST_PAGER=cat gst-inspect-1.0 ") + name +
            " 2>" + lsfa::test::shell_quote(err_file) + " | grep -v '^ *Filename '",
        &out);
    EXPECT_EQ(rc, 0) << out;
    // Clean: no warnings or criticals while loading and introspecting.
    EXPECT_EQ(read_file(err_file), "");
    std::string expected = read_file(std::string(root) + "/docs/inspect/" + name + ".txt");
    EXPECT_EQ(out, expected) << "docs/inspect/" << name
                             << ".txt is out of date: run tools/update-inspect-docs.sh";
  }
}
}  // namespace
