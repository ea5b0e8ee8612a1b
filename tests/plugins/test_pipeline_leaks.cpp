// The whole pipeline under GStreamer's leaks tracer: every object and mini-object the elements
// create (buffers, metas, caps, events, messages) must be freed by the time gst-launch-1.0 exits.
#include <gtest/gtest.h>

#include <regex>

#include "small_model.h"
#include "test_util.h"

using lsfa::test::run_command;
using lsfa::test::shell_quote;

TEST(PipelineLeaks, InspectPipelineLeaksNothing) {
  lsfa::test::TempDir dir;
  std::string log;
  ASSERT_TRUE(lsfa::test::synth_and_fit(dir.file("data"), "tile",
                                        "--seed 2 --train 4 --validation 3 --test-good 2 "
                                        "--test-defect 1 --stream 0 --size 96x72",
                                        dir.file("m.lsfa")));
  const std::string model = shell_quote(dir.file("m.lsfa"));
  const std::string pipeline =
      "lsfasrc location=" + shell_quote(dir.file("data")) +
      " category=tile split=test num-buffers=4 ! lsfafeatures threads=2 model=" + model +
      " ! lsfascore attach-map=true attach-frame=true model=" + model + " ! lsfaoverlay ! fakesink";
  ASSERT_EQ(run_command("OMP_WAIT_POLICY=passive GST_TRACERS=leaks GST_DEBUG=GST_TRACER:7 "
                        "GST_DEBUG_NO_COLOR=1 gst-launch-1.0 -q " +
                            pipeline,
                        &log),
            0)
      << log;
  // The tracer was active (it registers its record format at start-up) ...
  ASSERT_NE(log.find("new format string: object-alive"), std::string::npos) << log;
  // ... and reported no object alive at exit (its report lines carry a type-name field).
  std::smatch m;
  const std::regex alive(R"(object-alive, type-name=\(string\)([A-Za-z0-9_]+))");
  EXPECT_FALSE(std::regex_search(log, m, alive)) << "leaked: " << m.str(1) << "\n" << log;
}
