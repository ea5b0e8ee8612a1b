// lsfametapublish: lines from hand-made metas (known map statistics and regions in frame pixels,
// alarm fields, null rules), the file target's appends and errors, delivery to UDP and TCP
// listeners on this machine (including a TCP reconnect), and a full model pipeline whose lines are
// compared frame by frame with lsfascore's lsfa-anomaly and lsfa-anomaly-state messages and with
// map statistics computed here through the meta's own sampling function. Also runs the launch
// lines of docs/publish.md.
#include <gio/gio.h>
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "clip_reader.h"
#include "gst_test.h"
#include "lsfa/io/image_io.h"
#include "pipeline_run.h"
#include "small_model.h"
#include "test_util.h"

namespace {

using json = nlohmann::json;
using PublishTest = lsfa_gst_test::GstTest;

constexpr int kW = 40, kH = 30;

std::string caps_str() {
  return "video/x-raw,format=RGB,width=" + std::to_string(kW) + ",height=" + std::to_string(kH) +
         ",framerate=10/1";
}

// A frame with an anomaly meta: a `mw` x `mh` map of `value` over `rect` of a frame the meta
// says is `fw` x `fh`, pixel threshold 1.
GstBuffer *meta_frame(GstClockTime pts, float score, bool anomalous, int mw, int mh, float value,
                      GstLsfaRect rect, int fw = kW, int fh = kH) {
  GstBuffer *b = gst_buffer_new_allocate(nullptr, kW * kH * 3, nullptr);
  gst_buffer_memset(b, 0, 0, kW * kH * 3);
  GST_BUFFER_PTS(b) = pts;
  GST_BUFFER_DURATION(b) = 100 * GST_MSECOND;
  GstLsfaAnomalyMeta *m = gst_buffer_add_lsfa_anomaly_meta(b);
  m->score = score;
  m->score_rgb = NAN;
  m->score_3d = score;
  m->threshold = 0.5f;
  m->is_anomalous = anomalous;
  m->pixel_threshold = 1.0f;
  m->frame_width = fw;
  m->frame_height = fh;
  m->map_rect = rect;
  if (mw > 0) {
    std::vector<float> v(mw * mh, value);
    GstBuffer *map = gst_buffer_new_memdup(v.data(), v.size() * sizeof(float));
    gst_lsfa_anomaly_meta_set_map(m, map, mw, mh);
    gst_buffer_unref(map);
  }
  return b;
}

std::vector<json> read_lines(const std::string &path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line));
  return out;
}

TEST_F(PublishTest, LinesCarryTheMetasStatisticsAndRegions) {
  lsfa::test::TempDir dir;
  const std::string file = dir.file("out.jsonl");
  GstHarness *h = gst_harness_new_parse(
      ("lsfametapublish location=" + file + " map-stats=true top-k=2").c_str());
  gst_harness_set_src_caps_str(h, caps_str().c_str());
  // Frame 0: no meta, no line (but it counts).
  GstBuffer *plain = gst_buffer_new_allocate(nullptr, kW * kH * 3, nullptr);
  GST_BUFFER_PTS(plain) = 0;
  ASSERT_EQ(gst_harness_push(h, plain), GST_FLOW_OK);
  // Frame 1: a uniform map of 2 over (10, 5, 20, 10): one region, exactly that box.
  GstBuffer *b1 = meta_frame(100 * GST_MSECOND, 3.0f, true, 4, 2, 2.0f, {10, 5, 20, 10});
  gst_buffer_add_lsfa_alarm_meta(b1, TRUE, GST_LSFA_ALARM_CHANGE_START, 100 * GST_MSECOND);
  ASSERT_EQ(gst_harness_push(h, b1), GST_FLOW_OK);
  // Frame 2: the meta describes an 80 x 60 frame (a scaler did not update it): the rectangle
  // (20, 10, 40, 20) is halved onto this 40 x 30 frame. Map below the pixel threshold: no region.
  GstBuffer *b2 = meta_frame(200 * GST_MSECOND, 0.1f, false, 2, 2, 0.5f, {20, 10, 40, 20}, 80, 60);
  gst_buffer_add_lsfa_alarm_meta(b2, FALSE, GST_LSFA_ALARM_CHANGE_STOP, 100 * GST_MSECOND);
  ASSERT_EQ(gst_harness_push(h, b2), GST_FLOW_OK);
  // Frame 3: no map, no alarm meta.
  ASSERT_EQ(gst_harness_push(h, meta_frame(300 * GST_MSECOND, 0.2f, false, 0, 0, 0, {0, 0, 0, 0})),
            GST_FLOW_OK);
  // Frames pass unchanged.
  for (int i = 0; i < 4; ++i) gst_buffer_unref(gst_harness_pull(h));
  gst_harness_teardown(h);

  const std::vector<json> lines = read_lines(file);
  ASSERT_EQ(lines.size(), 3u);
  const json &a = lines[0];
  EXPECT_EQ(a["frame"], 1);
  EXPECT_EQ(a["pts"], 100000000);
  EXPECT_EQ(a["running_time"], 100000000);
  EXPECT_EQ(a["stream_time"], 100000000);
  EXPECT_EQ(a["duration"], 100000000);
  EXPECT_TRUE(std::regex_match(a["wall_clock"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << a["wall_clock"];
  EXPECT_EQ(a["score"], 3.0);
  EXPECT_TRUE(a["score_rgb"].is_null());  // NaN: modality off
  EXPECT_EQ(a["score_3d"], 3.0);
  EXPECT_EQ(a["threshold"], 0.5);
  EXPECT_EQ(a["is_anomalous"], true);
  EXPECT_EQ(a["alarm"], json({{"active", true}, {"change", "start"}, {"start_pts", 100000000}}));
  EXPECT_EQ(a["map"]["max"], 2.0);
  EXPECT_EQ(a["map"]["mean"], 2.0);
  EXPECT_EQ(a["map"]["area"], 200);
  EXPECT_EQ(a["map"]["covered"], 200);
  EXPECT_EQ(a["map"]["area_fraction"], 1.0);
  EXPECT_EQ(a["map"]["pixel_threshold"], 1.0);
  ASSERT_EQ(a["regions"].size(), 1u);
  EXPECT_EQ(a["regions"][0], json({{"x", 10},
                                   {"y", 5},
                                   {"width", 20},
                                   {"height", 10},
                                   {"area", 200},
                                   {"peak", 2.0},
                                   {"peak_x", 10},
                                   {"peak_y", 5}}));
  const json &b = lines[1];
  EXPECT_EQ(b["frame"], 2);
  EXPECT_EQ(b["alarm"]["change"], "stop");
  EXPECT_EQ(b["alarm"]["active"], false);
  EXPECT_EQ(b["map"]["covered"], 200);  // 20 x 10 pixels after scaling
  EXPECT_EQ(b["map"]["area"], 0);
  EXPECT_TRUE(b["regions"].empty());
  const json &c = lines[2];
  EXPECT_EQ(c["frame"], 3);
  EXPECT_TRUE(c["alarm"].is_null());
  EXPECT_TRUE(c["map"].is_null());
  EXPECT_TRUE(c["regions"].empty());
}

TEST_F(PublishTest, FileIsAppendedAndWithoutOptionsTheLineIsShort) {
  lsfa::test::TempDir dir;
  const std::string file = dir.file("out.jsonl");
  for (int run = 0; run < 2; ++run) {
    GstHarness *h = gst_harness_new_parse(("lsfametapublish location=" + file).c_str());
    gst_harness_set_src_caps_str(h, caps_str().c_str());
    ASSERT_EQ(
        gst_harness_push(h, meta_frame(run * GST_SECOND, 1.0f, true, 2, 2, 2, {0, 0, 40, 30})),
        GST_FLOW_OK);
    gst_harness_teardown(h);
  }
  const std::vector<json> lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["pts"], 0);
  EXPECT_EQ(lines[1]["pts"], 1000000000);
  EXPECT_FALSE(lines[0].contains("map"));
  EXPECT_FALSE(lines[0].contains("regions"));
}

// The error text of a pipeline `fakesrc ! lsfametapublish PROPS ! fakesink` (empty at EOS).
std::string pipeline_error(const std::string &props) {
  GstElement *pipe = gst_parse_launch(
      ("fakesrc num-buffers=1 ! lsfametapublish " + props + " ! fakesink").c_str(), nullptr);
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipe);
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, 20 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string out = m == nullptr ? "timeout" : "";
  if (m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_error(m, &e, &dbg);
    out = std::string(e->message) + " | " + (dbg ? dbg : "");
    g_error_free(e);
    g_free(dbg);
  }
  if (m) gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(pipe);
  return out;
}

TEST_F(PublishTest, BadTargetsAreErrorsNamingTheProblem) {
  lsfa::test::TempDir dir;
  EXPECT_NE(pipeline_error("").find("needs the location property"), std::string::npos);
  const std::string missing = dir.file("missing/out.jsonl");
  const std::string e = pipeline_error("location=" + missing);
  EXPECT_NE(e.find(missing), std::string::npos) << e;
  EXPECT_NE(pipeline_error("target=udp").find("needs a port"), std::string::npos);
  EXPECT_NE(pipeline_error("target=udp port=9 host=no-such-host.invalid").find("no-such-host"),
            std::string::npos);
  // Nothing listens on a port just released; without reconnecting that is an error.
  GSocket *s =
      g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new(lo, 0);
  ASSERT_TRUE(g_socket_bind(s, any, TRUE, nullptr));
  GSocketAddress *bound = g_socket_get_local_address(s, nullptr);
  const guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_object_unref(any);
  g_object_unref(lo);
  g_object_unref(s);
  const std::string refused =
      pipeline_error("target=tcp reconnect-interval=0 port=" + std::to_string(port));
  EXPECT_NE(refused.find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << refused;
  // With reconnecting (the default) the stream runs, lines are dropped with a warning.
  EXPECT_EQ(pipeline_error("target=tcp port=" + std::to_string(port)), "");
}

// ----------------------------------------------------------------------------- sockets

// A socket bound to 127.0.0.1 on a free port.
struct Listener {
  GSocket *socket = nullptr;
  guint port = 0;
  Listener(GSocketType type, guint want_port = 0) {
    const GSocketProtocol proto =
        type == G_SOCKET_TYPE_DATAGRAM ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP;
    socket = g_socket_new(G_SOCKET_FAMILY_IPV4, type, proto, nullptr);
    GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GSocketAddress *a = g_inet_socket_address_new(lo, static_cast<guint16>(want_port));
    GError *e = nullptr;
    EXPECT_TRUE(g_socket_bind(socket, a, TRUE, &e)) << (e ? e->message : "");
    g_clear_error(&e);
    if (type == G_SOCKET_TYPE_STREAM) {
      EXPECT_TRUE(g_socket_listen(socket, nullptr));
    }
    GSocketAddress *bound = g_socket_get_local_address(socket, nullptr);
    port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_object_unref(bound);
    g_object_unref(a);
    g_object_unref(lo);
    g_socket_set_timeout(socket, 10);
  }
  ~Listener() { g_object_unref(socket); }
};

// Reads newline-terminated lines from a connected socket until `n` lines or a timeout/close.
std::vector<json> receive_lines(GSocket *s, size_t n, std::string *rest) {
  std::vector<json> out;
  char buf[4096];
  while (out.size() < n) {
    size_t nl;
    while (out.size() < n && (nl = rest->find('\n')) != std::string::npos) {
      out.push_back(json::parse(rest->substr(0, nl)));
      rest->erase(0, nl + 1);
    }
    if (out.size() >= n) break;
    const gssize got = g_socket_receive(s, buf, sizeof buf, nullptr, nullptr);
    if (got <= 0) break;
    rest->append(buf, static_cast<size_t>(got));
  }
  return out;
}

TEST_F(PublishTest, UdpDeliversOneDatagramPerLine) {
  Listener udp(G_SOCKET_TYPE_DATAGRAM);
  GstHarness *h = gst_harness_new_parse(
      ("lsfametapublish target=udp host=127.0.0.1 top-k=1 port=" + std::to_string(udp.port))
          .c_str());
  gst_harness_set_src_caps_str(h, caps_str().c_str());
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(gst_harness_push(
                  h, meta_frame(i * GST_SECOND, 1.0f * i, i > 0, 2, 2, 2.0f, {0, 0, kW, kH})),
              GST_FLOW_OK);
  for (int i = 0; i < 3; ++i) {
    char buf[65536];
    const gssize n = g_socket_receive(udp.socket, buf, sizeof buf, nullptr, nullptr);
    ASSERT_GT(n, 0);
    ASSERT_EQ(buf[n - 1], '\n');  // one whole line per datagram
    const json j = json::parse(std::string(buf, n - 1));
    EXPECT_EQ(j["frame"], i);
    EXPECT_EQ(j["pts"], i * 1000000000ll);
    EXPECT_EQ(j["score"], 1.0 * i);
    ASSERT_EQ(j["regions"].size(), 1u);
    EXPECT_EQ(j["regions"][0]["area"], kW * kH);
  }
  gst_harness_teardown(h);
}

TEST_F(PublishTest, TcpDeliversAndReconnectsAfterTheListenerComesBack) {
  auto listener = std::make_unique<Listener>(G_SOCKET_TYPE_STREAM);
  const guint port = listener->port;
  GstHarness *h = gst_harness_new_parse(
      ("lsfametapublish target=tcp reconnect-interval=0.2 timeout=1 port=" + std::to_string(port))
          .c_str());
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, caps_str().c_str());
  GstClockTime pts = 0;
  auto push = [&] {
    ASSERT_EQ(gst_harness_push(h, meta_frame(pts, 1.0f, true, 0, 0, 0, {0, 0, 0, 0})), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(h));
    pts += GST_SECOND;
  };
  push();
  push();
  GSocket *conn = g_socket_accept(listener->socket, nullptr, nullptr);
  ASSERT_NE(conn, nullptr);
  g_socket_set_timeout(conn, 10);
  std::string rest;
  std::vector<json> got = receive_lines(conn, 2, &rest);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["pts"], 0);
  EXPECT_EQ(got[1]["pts"], 1000000000);

  // The receiver goes away: within a few lines the element notices, warns once, and goes on
  // without blocking.
  g_socket_close(conn, nullptr);
  g_object_unref(conn);
  listener.reset();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) push();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  int warnings = 0;
  std::string warning_text;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING)) {
    GError *e = nullptr;
    gchar *dbg = nullptr;
    gst_message_parse_warning(m, &e, &dbg);
    warning_text += std::string(e->message) + " | " + (dbg ? dbg : "") + "\n";
    g_error_free(e);
    g_free(dbg);
    gst_message_unref(m);
    ++warnings;
  }
  EXPECT_GE(warnings, 1);
  EXPECT_LE(warnings, 2) << warning_text;  // the lost connection, the refused reconnect
  EXPECT_NE(warning_text.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << warning_text;

  // The listener is back: after the reconnect interval the next line arrives on a new connection.
  Listener again(G_SOCKET_TYPE_STREAM, port);
  g_usleep(300 * 1000);
  const GstClockTime expected_pts = pts;
  push();
  GSocket *conn2 = g_socket_accept(again.socket, nullptr, nullptr);
  ASSERT_NE(conn2, nullptr);
  g_socket_set_timeout(conn2, 10);
  rest.clear();
  got = receive_lines(conn2, 1, &rest);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["pts"], expected_pts);
  g_object_unref(conn2);
  gst_harness_teardown(h);
  gst_object_unref(bus);
}

TEST_F(PublishTest, TcpReceiverThatStopsReadingBlocksAtMostTheTimeout) {
  // The connection is made (the kernel queues it) but never read: once the socket buffers are
  // full a send waits `timeout` (1 s), then the connection counts as lost and lines are dropped.
  Listener listener(G_SOCKET_TYPE_STREAM);
  g_socket_set_option(listener.socket, SOL_SOCKET, SO_RCVBUF, 4096, nullptr);
  GstHarness *h = gst_harness_new_parse(
      ("lsfametapublish target=tcp timeout=1 reconnect-interval=100 top-k=8 map-stats=true port=" +
       std::to_string(listener.port))
          .c_str());
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, caps_str().c_str());
  double longest = 0;
  GstMessage *warning = nullptr;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0;
       warning == nullptr && std::chrono::steady_clock::now() - start < std::chrono::seconds(60);
       ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(
        gst_harness_push(h, meta_frame(i * GST_MSECOND, 1.0f, true, 2, 2, 2.0f, {0, 0, kW, kH})),
        GST_FLOW_OK);
    longest = std::max(
        longest, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    gst_buffer_unref(gst_harness_pull(h));
    warning = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  }
  ASSERT_NE(warning, nullptr) << "the socket buffers never filled";
  GError *e = nullptr;
  gchar *dbg = nullptr;
  gst_message_parse_warning(warning, &e, &dbg);
  EXPECT_NE(std::string(dbg).find("TCP send to 127.0.0.1:" + std::to_string(listener.port)),
            std::string::npos)
      << dbg;
  g_error_free(e);
  g_free(dbg);
  gst_message_unref(warning);
  EXPECT_GE(longest, 0.9);  // it did wait for the receiver...
  EXPECT_LT(longest, 3.0);  // ...but not much longer than the timeout
  // Disconnected now: lines are dropped at once.
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(gst_harness_push(h, meta_frame(0, 1.0f, true, 0, 0, 0, {0, 0, 0, 0})), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(h));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(2));
  gst_harness_teardown(h);
  gst_object_unref(bus);
}

// ----------------------------------------------------------------------------- with a model

// A synthetic data set `data` (category ring, 96 x 72) and a bundle `ring.lsfa` fitted on it, in
// one directory: the names docs/publish.md uses, so its launch lines run there as written.
class ModelPublishTest : public PublishTest {
 protected:
  static void SetUpTestSuite() {
    PublishTest::SetUpTestSuite();
    dir_ = new lsfa::test::TempDir();
    ASSERT_TRUE(lsfa::test::synth_and_fit(dir_->file("data"), "ring",
                                          "--seed 5 --train 6 --validation 3 --test-good 2 "
                                          "--test-defect 2 --stream 0 --size 96x72",
                                          dir_->file("ring.lsfa")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static lsfa::test::TempDir *dir_;
};
lsfa::test::TempDir *ModelPublishTest::dir_ = nullptr;

// Map statistics of one frame, computed here pixel by pixel with gst_lsfa_anomaly_meta_sample.
struct ProbeStats {
  double max = -1e30, sum = 0;
  long long covered = 0, area = 0;
};

GstPadProbeReturn stats_probe(GstPad *, GstPadProbeInfo *info, gpointer data) {
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstLsfaAnomalyMeta *m = gst_buffer_get_lsfa_anomaly_meta(b);
  ProbeStats s;
  if (m && m->map) {
    GstMapInfo mi;
    gst_buffer_map(m->map, &mi, GST_MAP_READ);
    for (int y = 0; y < m->frame_height; ++y)
      for (int x = 0; x < m->frame_width; ++x) {
        gfloat v;
        if (!gst_lsfa_anomaly_meta_sample(m, reinterpret_cast<const gfloat *>(mi.data), x + 0.5,
                                          y + 0.5, &v))
          continue;
        ++s.covered;
        s.sum += v;
        s.max = std::max<double>(s.max, v);
        if (v > m->pixel_threshold) ++s.area;
      }
    gst_buffer_unmap(m->map, &mi);
  }
  static_cast<std::vector<ProbeStats> *>(data)->push_back(s);
  return GST_PAD_PROBE_OK;
}

TEST_F(ModelPublishTest, JsonLinesMatchTheAnomalyMessagesFrameByFrame) {
  const std::string data = dir_->file("data"), model = dir_->file("ring.lsfa");
  const std::string head = "lsfasrc location=" + data + " category=ring loop=true num-buffers=10 " +
                           "! lsfafeatures threads=2 model=" + model +
                           " ! lsfascore model=" + model;
  // A threshold between the middle scores, so that alarms start and stop.
  std::vector<float> scores;
  {
    GstElement *pipe = gst_parse_launch((head + " ! fakesink").c_str(), nullptr);
    PipelineRun r;
    run_pipeline(pipe, &r, 120 * GST_SECOND);
    gst_object_unref(pipe);
    ASSERT_EQ(r.error, "");
    for (const GstStructure *m : r.named("lsfa-anomaly")) {
      gfloat v = 0;
      gst_structure_get(m, "score", G_TYPE_FLOAT, &v, nullptr);
      scores.push_back(v);
    }
  }
  ASSERT_EQ(scores.size(), 10u);
  std::vector<float> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  const float threshold = (sorted[4] + sorted[5]) / 2;

  const std::string file = dir_->file("compare.jsonl");
  std::filesystem::remove(file);
  GstElement *pipe =
      gst_parse_launch((head + " threshold=" + std::to_string(threshold) +
                        " ! lsfaoverlay ! lsfametapublish map-stats=true top-k=3 location=" + file +
                        " ! fakesink name=sink")
                           .c_str(),
                       nullptr);
  std::vector<ProbeStats> probe;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, stats_probe, &probe, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  PipelineRun r;
  run_pipeline(pipe, &r, 120 * GST_SECOND);
  gst_object_unref(pipe);
  ASSERT_EQ(r.error, "");

  const std::vector<json> lines = read_lines(file);
  const auto msgs = r.named("lsfa-anomaly");
  ASSERT_EQ(lines.size(), 10u);
  ASSERT_EQ(msgs.size(), lines.size());
  ASSERT_EQ(probe.size(), lines.size());
  std::vector<std::string> changes_from_lines;
  int regions_seen = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(i);
    const json &l = lines[i];
    const GstStructure *m = msgs[i];
    guint64 ts, rt, st, dur;
    gfloat score, srgb, s3d, thr;
    gboolean anomalous;
    ASSERT_TRUE(gst_structure_get(m, "timestamp", G_TYPE_UINT64, &ts, "running-time", G_TYPE_UINT64,
                                  &rt, "stream-time", G_TYPE_UINT64, &st, "duration", G_TYPE_UINT64,
                                  &dur, "score", G_TYPE_FLOAT, &score, "score-rgb", G_TYPE_FLOAT,
                                  &srgb, "score-3d", G_TYPE_FLOAT, &s3d, "threshold", G_TYPE_FLOAT,
                                  &thr, "is-anomalous", G_TYPE_BOOLEAN, &anomalous, nullptr));
    EXPECT_EQ(l["frame"], i);
    EXPECT_EQ(l["pts"], ts);
    EXPECT_EQ(l["running_time"], rt);
    EXPECT_EQ(l["stream_time"], st);
    EXPECT_EQ(l["duration"], dur);
    // The floats are written exactly (as doubles of the same value).
    EXPECT_EQ(l["score"].get<double>(), static_cast<double>(score));
    EXPECT_EQ(l["score_rgb"].get<double>(), static_cast<double>(srgb));
    EXPECT_EQ(l["score_3d"].get<double>(), static_cast<double>(s3d));
    EXPECT_EQ(l["threshold"].get<double>(), static_cast<double>(thr));
    EXPECT_EQ(l["is_anomalous"], static_cast<bool>(anomalous));
    const std::string change = l["alarm"]["change"];
    if (change != "none") changes_from_lines.push_back(change);
    // Statistics against the pixel-by-pixel computation with the meta API.
    const ProbeStats &p = probe[i];
    ASSERT_GT(p.covered, 0);
    EXPECT_EQ(l["map"]["covered"], p.covered);
    EXPECT_EQ(l["map"]["area"], p.area);
    EXPECT_NEAR(l["map"]["max"].get<double>(), p.max, 1e-5);
    EXPECT_NEAR(l["map"]["mean"].get<double>(), p.sum / p.covered, 1e-4);
    long long region_area = 0;
    for (const json &g : l["regions"]) {
      region_area += g["area"].get<long long>();
      EXPECT_LE(g["peak"].get<double>(), p.max + 1e-5);
      EXPECT_GE(g["x"].get<int>(), 0);
      EXPECT_LE(g["x"].get<int>() + g["width"].get<int>(), 96);
      EXPECT_LE(g["y"].get<int>() + g["height"].get<int>(), 72);
      ++regions_seen;
    }
    EXPECT_LE(l["regions"].size(), 3u);
    EXPECT_LE(region_area, p.area);
    if (p.area > 0) {
      EXPECT_FALSE(l["regions"].empty());
    }
  }
  EXPECT_GT(regions_seen, 0);
  // The alarm changes in the lines are the lsfa-anomaly-state messages (less the stop at EOS).
  std::vector<std::string> states;
  for (const GstStructure *m : r.named("lsfa-anomaly-state"))
    states.push_back(gst_structure_get_string(m, "state"));
  ASSERT_FALSE(changes_from_lines.empty());
  if (states.size() > changes_from_lines.size()) {
    EXPECT_EQ(states.back(), "stop");
    EXPECT_TRUE(lines.back()["alarm"]["active"].get<bool>());
    states.pop_back();
  }
  EXPECT_EQ(changes_from_lines, states);
}

// The launch lines of docs/publish.md: `gst-launch-1.0` lines of its code blocks, continuation
// lines joined.
std::vector<std::string> documented_lines() {
  const char *root = g_getenv("LSFA_SOURCE_ROOT");
  std::ifstream in(std::string(root ? root : ".") + "/docs/publish.md");
  std::vector<std::string> out;
  std::string line, current;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    std::string text = line.substr(start);
    if (current.empty() && text.rfind("gst-launch-1.0 ", 0) != 0) continue;
    const bool more = !text.empty() && text.back() == '\\';
    if (more) text.pop_back();
    current += text;
    if (!more) {
      out.push_back(current);
      current.clear();
    }
  }
  return out;
}

// Frames per clip that lsfarecorder pre-roll=PRE post-roll=POST must write for a stream whose
// per-frame alarm states are `lines`, computed from the rule of docs/publish.md: each alarm from
// its start frame to its stop frame (the first inactive one) gives [start - PRE, stop + POST); an
// alarm starting at or before the previous interval's end extends it; a clip's pre-roll does not
// reach back before the previous clip's end.
std::vector<size_t> clip_sizes(const std::vector<json> &lines, double pre, double post) {
  const double inf = 1e300;
  std::vector<std::pair<double, double>> clips;  // [from, to) in seconds
  double start = -1;
  auto close_alarm = [&](double stop) {
    const double from = start - pre, to = stop + post;
    if (!clips.empty() && start <= clips.back().second)
      clips.back().second = to;
    else
      clips.push_back({clips.empty() ? from : std::max(from, clips.back().second), to});
    start = -1;
  };
  for (const json &l : lines) {
    const double t = l["pts"].get<double>() / 1e9;
    const bool active = l["alarm"]["active"];
    if (active && start < 0) start = t;
    if (!active && start >= 0) close_alarm(t);
  }
  if (start >= 0) close_alarm(inf);
  std::vector<size_t> sizes;
  for (const auto &c : clips) {
    size_t n = 0;
    for (const json &l : lines) {
      const double t = l["pts"].get<double>() / 1e9;
      n += t >= c.first - 1e-9 && t < c.second - 1e-9;
    }
    sizes.push_back(n);
  }
  return sizes;
}

// Number of test samples (= frames lsfasrc plays once).
size_t test_frames(const std::string &data) {
  size_t n = 0;
  for (const auto &e : std::filesystem::recursive_directory_iterator(data + "/ring/test"))
    n += e.path().extension() == ".png" && e.path().parent_path().filename() == "rgb";
  return n;
}

TEST_F(ModelPublishTest, DocumentedLaunchLinesRun) {
#ifdef LSFA_TEST_ASAN
  GTEST_SKIP() << "runs gst-launch-1.0, which cannot load this ASan-built plugin (main build only)";
#endif
  auto clip_name = [](int i) {
    char name[32];
    std::snprintf(name, sizeof name, "clip-%05d.avi", i);
    return dir_->file(name);
  };
  const std::vector<std::string> lines = documented_lines();
  ASSERT_GE(lines.size(), 4u);
  int alarm_starts = -1, clips_checked = 0;
  for (const std::string &line : lines) {
    SCOPED_TRACE(line);
    // A listener where a line sends to a socket.
    std::smatch port_match;
    std::unique_ptr<Listener> listener;
    const bool tcp = line.find("target=tcp") != std::string::npos;
    const bool udp = line.find("target=udp") != std::string::npos;
    if (std::regex_search(line, port_match, std::regex(R"(port=(\d+))")))
      listener = std::make_unique<Listener>(udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
                                            std::stoi(port_match[1]));
    std::filesystem::remove(dir_->file("results.jsonl"));
    std::string out;
    const int rc = lsfa::test::run_command(
        "cd " + lsfa::test::shell_quote(dir_->path()) + " && OMP_WAIT_POLICY=passive " + line,
        &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
    const size_t frames = test_frames(dir_->file("data"));
    if (tcp || udp) {
      GSocket *s = tcp ? g_socket_accept(listener->socket, nullptr, nullptr)
                       : static_cast<GSocket *>(g_object_ref(listener->socket));
      ASSERT_NE(s, nullptr);
      g_socket_set_timeout(s, 5);
      std::string rest;
      EXPECT_EQ(receive_lines(s, frames, &rest).size(), frames);
      g_object_unref(s);
    } else if (line.find("target=stdout") != std::string::npos) {
      std::istringstream ss(out);
      std::string l;
      size_t n = 0;
      while (std::getline(ss, l)) n += json::parse(l).contains("score");
      EXPECT_EQ(n, frames);
    }
    std::vector<size_t> expected_clips;  // frames per clip, from the alarm states of the lines
    if (line.find("location=results.jsonl") != std::string::npos) {
      const std::vector<json> got = read_lines(dir_->file("results.jsonl"));
      EXPECT_EQ(got.size(), frames);
      alarm_starts = 0;
      for (const json &j : got) alarm_starts += j["alarm"]["change"] == "start";
      expected_clips = clip_sizes(got, 1.0, 2.0);
    }
    if (line.find("lsfarecorder") != std::string::npos) {
      // As many clips as alarms (from the results.jsonl of the same stream), each decodable.
      ASSERT_GE(alarm_starts, 0) << "docs/publish.md: the results.jsonl line must come first";
      int clips = 0;
      std::vector<size_t> clip_frames;
      for (; std::filesystem::exists(clip_name(clips)); ++clips) {
        std::string error;
        clip_frames.push_back(lsfa_gst_test::decode_clip(clip_name(clips), &error).size());
        EXPECT_EQ(error, "");
        std::filesystem::remove(clip_name(clips));
      }
      EXPECT_GT(alarm_starts, 0) << "no alarm in the documented stream: the check is empty";
      EXPECT_EQ(static_cast<size_t>(clips), expected_clips.size());
      EXPECT_EQ(clip_frames, expected_clips);
      ++clips_checked;
    }
  }
  EXPECT_GE(clips_checked, 1);
}

}  // namespace
