// The plugin as a whole: every element exists with its documented defaults, and gst-inspect output
// matches docs/inspect/.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <ATen/Context.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gst_test.h"
#include "lsfa/backbones/presets.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"
#include "lsfa_hysteresis.h"
#include "lsfa_pairing.h"
#include "test_util.h"

namespace {

using ElementsTest = lsfa_gst_test::GstTest;

// The nick of an enum property's current value.
std::string property_nick(GstElement *e, const char *property) {
  GValue v = G_VALUE_INIT;
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), property);
  if (spec == nullptr || !G_IS_PARAM_SPEC_ENUM(spec))
    return std::string("not an enum: ") + property;
  g_value_init(&v, spec->value_type);
  g_object_get_property(G_OBJECT(e), property, &v);
  GEnumValue *ev = g_enum_get_value(G_PARAM_SPEC_ENUM(spec)->enum_class, g_value_get_enum(&v));
  g_value_unset(&v);
  return ev ? ev->value_nick : "?";
}

// The nicks of an enum property, in value order.
std::vector<std::string> property_nicks(GstElement *e, const char *property) {
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(e), property);
  std::vector<std::string> nicks;
  if (spec == nullptr || !G_IS_PARAM_SPEC_ENUM(spec)) return nicks;
  GEnumClass *klass = G_PARAM_SPEC_ENUM(spec)->enum_class;
  for (guint i = 0; i < klass->n_values; ++i) nicks.push_back(klass->values[i].value_nick);
  return nicks;
}

// Parses a launch line; returns the parse error text ("" when it parsed) and the element named
// `name` through `out` (a new reference) when asked.
std::string parse_line(const std::string &line, const char *name = nullptr,
                       GstElement **out = nullptr) {
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch(line.c_str(), &err);
  std::string error = err ? err->message : (pipe ? "" : "parse failed");
  g_clear_error(&err);
  if (pipe && name && out) *out = gst_bin_get_by_name(GST_BIN(pipe), name);
  if (pipe) gst_object_unref(pipe);
  return error;
}

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
  g_object_get(f, "pair-tolerance", &tol, nullptr);
  EXPECT_EQ(tol, 10 * GST_MSECOND);
  EXPECT_EQ(property_nick(f, "preset"), "small");
  EXPECT_EQ(property_nick(f, "modalities"), "rgb,3d");
  EXPECT_EQ(property_nick(f, "device"), "cpu");
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

TEST_F(ElementsTest, DefaultInstanceNamesAreTheElementNames) {
  for (const char *name : {"lsfafeatures", "lsfascore", "lsfaoverlay", "lsfasrc"}) {
    GstElement *e = gst_element_factory_make(name, nullptr);
    ASSERT_NE(e, nullptr) << name;
    // "<element name><counter>", like videoconvert0.
    const std::string got = GST_OBJECT_NAME(e);
    ASSERT_GT(got.size(), strlen(name)) << got;
    EXPECT_EQ(got.substr(0, strlen(name)), name) << got;
    EXPECT_TRUE(std::all_of(got.begin() + strlen(name), got.end(), ::isdigit)) << got;
    gst_object_unref(e);
  }
  // In a launch line: the names messages and errors carry.
  GstElement *f = nullptr;
  GError *err = nullptr;
  GstElement *pipe = gst_parse_launch("lsfafeatures ! fakesink", &err);
  ASSERT_NE(pipe, nullptr);
  ASSERT_EQ(err, nullptr);
  GstIterator *it = gst_bin_iterate_elements(GST_BIN(pipe));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstElement *e = GST_ELEMENT(g_value_get_object(&item));
    if (g_str_has_prefix(GST_OBJECT_NAME(e), "lsfafeatures")) f = e;
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  EXPECT_NE(f, nullptr) << "no element named lsfafeatures<N>";
  gst_object_unref(pipe);
}

TEST_F(ElementsTest, AuthorFieldHasAContact) {
  const std::string tracker = "https://github.com/gst-lsfa/gst-lsfa";
  for (const char *name : {"lsfafeatures", "lsfascore", "lsfaoverlay", "lsfasrc"}) {
    GstElementFactory *factory = gst_element_factory_find(name);
    ASSERT_NE(factory, nullptr) << name;
    const std::string author =
        gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_AUTHOR);
    EXPECT_EQ(author, "gst-lsfa developers <" + tracker + "/issues>") << name;
    GstPlugin *plugin = gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(factory));
    ASSERT_NE(plugin, nullptr);
    EXPECT_EQ(std::string(gst_plugin_get_origin(plugin)), tracker);
    gst_object_unref(plugin);
    gst_object_unref(factory);
  }
}

TEST_F(ElementsTest, ChoicePropertiesAreEnumsWithTheOldSpellings) {
  GstElement *f = gst_element_factory_make("lsfafeatures", nullptr);
  GstElement *src = gst_element_factory_make("lsfasrc", nullptr);
  // The presets are liblsfa's, in its order.
  std::vector<std::string> presets;
  for (const auto &p : lsfa::backbone_presets()) presets.push_back(p.name);
  EXPECT_EQ(property_nicks(f, "preset"), presets);
  EXPECT_EQ(property_nicks(f, "modalities"),
            (std::vector<std::string>{"rgb", "3d", "rgb,3d", "3d,rgb"}));
  EXPECT_EQ(property_nicks(f, "device"),
            (std::vector<std::string>{"cpu", "cuda:0", "cuda:1", "cuda:2", "cuda:3", "cuda:4",
                                      "cuda:5", "cuda:6", "cuda:7", "cuda"}));
  // Every device reads back as set (DeviceReachesTheExtractor: and reaches liblsfa so spelled).
  for (const std::string &nick : property_nicks(f, "device")) {
    gst_util_set_object_arg(G_OBJECT(f), "device", nick.c_str());
    EXPECT_EQ(property_nick(f, "device"), nick);
  }
  EXPECT_EQ(property_nicks(src, "split"),
            (std::vector<std::string>{"train", "validation", "test"}));
  EXPECT_EQ(property_nicks(src, "dataset"),
            (std::vector<std::string>{"auto", "mvtec3d", "eyecandies"}));
  EXPECT_EQ(property_nicks(src, "output"), (std::vector<std::string>{"paired", "rgb", "depth"}));
  EXPECT_EQ(property_nick(src, "split"), "test");
  EXPECT_EQ(property_nick(src, "dataset"), "auto");
  EXPECT_EQ(property_nick(src, "output"), "paired");
  gst_object_unref(f);
  gst_object_unref(src);
}

TEST_F(ElementsTest, EnumValuesParseFromLaunchLines) {
  // Every spelling the string properties accepted, unquoted and quoted; value read back as nick.
  struct Case {
    std::string property, value, nick;
  };
  const std::vector<Case> features = {{"preset", "paper", "paper"},
                                      {"preset", "small", "small"},
                                      {"preset", "vit-s8", "vit-s8"},
                                      {"modalities", "rgb", "rgb"},
                                      {"modalities", "3d", "3d"},
                                      {"modalities", "rgb,3d", "rgb,3d"},
                                      {"modalities", "\"rgb,3d\"", "rgb,3d"},
                                      {"modalities", "3d,rgb", "rgb,3d"},
                                      {"device", "cpu", "cpu"},
                                      {"device", "cuda", "cuda"},
                                      {"device", "cuda:0", "cuda:0"},
                                      {"device", "cuda:3", "cuda:3"},
                                      {"device", "cuda:7", "cuda:7"},
                                      {"device", "\"cuda:1\"", "cuda:1"}};
  for (const Case &c : features) {
    SCOPED_TRACE(c.property + "=" + c.value);
    GstElement *f = nullptr;
    EXPECT_EQ(
        parse_line("lsfafeatures name=f " + c.property + "=" + c.value + " ! fakesink", "f", &f),
        "");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(property_nick(f, c.property.c_str()), c.nick);
    gst_object_unref(f);
  }
  const std::vector<Case> src = {
      {"split", "train", "train"},       {"split", "validation", "validation"},
      {"split", "test", "test"},         {"dataset", "eyecandies", "eyecandies"},
      {"dataset", "mvtec3d", "mvtec3d"}, {"output", "rgb", "rgb"},
      {"output", "depth", "depth"}};
  for (const Case &c : src) {
    SCOPED_TRACE(c.property + "=" + c.value);
    GstElement *e = nullptr;
    EXPECT_EQ(parse_line("lsfasrc name=s " + c.property + "=" + c.value + " ! fakesink", "s", &e),
              "");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(property_nick(e, c.property.c_str()), c.nick);
    gst_object_unref(e);
  }
}

TEST_F(ElementsTest, BadEnumValuesAreRejectedNamingPropertyAndValue) {
  for (const std::string &line :
       {std::string("lsfafeatures device=gpu ! fakesink"),
        std::string("lsfafeatures device=cuda:8 ! fakesink"),
        std::string("lsfafeatures preset=large ! fakesink"),
        std::string("lsfafeatures modalities=rgbd ! fakesink"),
        std::string("lsfasrc split=val ! fakesink"), std::string("lsfasrc output=gray ! fakesink"),
        std::string("lsfasrc dataset=mvtec ! fakesink")}) {
    SCOPED_TRACE(line);
    const std::string err = parse_line(line);
    const std::string assignment =
        line.substr(line.find(' ') + 1, line.find(" !") - line.find(' ') - 1);
    const std::string property = assignment.substr(0, assignment.find('='));
    const std::string value = assignment.substr(assignment.find('=') + 1);
    EXPECT_NE(err.find("\"" + property + "\""), std::string::npos) << err;
    EXPECT_NE(err.find(value), std::string::npos) << err;
  }
}

TEST_F(ElementsTest, DeviceReachesTheExtractor) {
  // A CUDA device on a LibTorch without CUDA fails at start, naming the device as the enum nick
  // spells it (the at::Device string the property used to take).
  if (at::hasCUDA()) GTEST_SKIP() << "this LibTorch has CUDA";
  for (const std::string device : {"cuda:0", "cuda:2", "cuda:7", "cuda"}) {
    SCOPED_TRACE(device);
    GError *err = nullptr;
    GstElement *pipe = gst_parse_launch(
        ("videotestsrc num-buffers=1 ! lsfafeatures device=" + device + " ! fakesink").c_str(),
        &err);
    ASSERT_NE(pipe, nullptr);
    ASSERT_EQ(err, nullptr);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    ASSERT_NE(msg, nullptr);
    ASSERT_EQ(GST_MESSAGE_TYPE(msg), GST_MESSAGE_ERROR);
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(msg, &e, &dbg);
    EXPECT_NE(std::string(dbg ? dbg : "").find("device '" + device + "'"), std::string::npos)
        << dbg;
    EXPECT_TRUE(g_str_has_prefix(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), "lsfafeatures"))
        << GST_OBJECT_NAME(GST_MESSAGE_SRC(msg));
    g_error_free(e);
    g_free(dbg);
    gst_message_unref(msg);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipe);
  }
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
