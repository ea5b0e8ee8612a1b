// An interrupted `lsfa train` (SIGINT, as Ctrl-C) exits with an error and leaves no bundle, and
// does not touch a bundle already at the output path; an interrupted `lsfa eval` writes no report.
#include <gtest/gtest.h>

#include <filesystem>

#include "lsfa/io/atomic_file.h"
#include "small_model.h"
#include "test_util.h"

namespace fs = std::filesystem;
using lsfa::test::run_command;
using lsfa::test::run_lsfa;
using lsfa::test::shell_quote;

TEST(TrainInterrupt, SigintLeavesNoHalfWrittenBundle) {
  lsfa::test::TempDir dir;
  std::string log;
  ASSERT_EQ(run_lsfa("synth --out " + dir.file("data") +
                         " --category tile --seed 4 --train 8 --validation 3 --test-good 1 "
                         "--test-defect 1 --stream 0 --size 96x72",
                     &log),
            0)
      << log;
  lsfa::write_file_atomic(dir.file("m.lsfa"), "previous model");
  const char *tool = std::getenv("LSFA_TOOL");
  ASSERT_NE(tool, nullptr);
  // Many epochs so that the run is still going when the signal arrives.
  const std::string cmd = shell_quote(tool) + " train --data " + shell_quote(dir.file("data")) +
                          " --category tile --out " + shell_quote(dir.file("m.lsfa")) +
                          " --preset small --epochs 1000 --threads 2 2>&1 & pid=$!; sleep 6; "
                          "kill -INT $pid; wait $pid";
  const int rc = run_command(cmd, &log);
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(log.find("interrupted"), std::string::npos) << log;
  EXPECT_EQ(lsfa::read_file(dir.file("m.lsfa")), "previous model");
  for (const auto &e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(EvalInterrupt, SigintStopsEvalWithoutAReport) {
  lsfa::test::TempDir dir;
  std::string log;
  // Enough test frames that scoring them lasts well beyond the signal.
  ASSERT_TRUE(lsfa::test::synth_and_fit(dir.file("data"), "tile",
                                        "--seed 4 --train 4 --validation 3 --test-good 60 "
                                        "--test-defect 2 --stream 0 --size 96x72",
                                        dir.file("m.lsfa")));
  const char *tool = std::getenv("LSFA_TOOL");
  ASSERT_NE(tool, nullptr);
  const std::string out = dir.file("eval");
  // The signal goes once the first map is written (scoring has begun, the handler is installed),
  // however slow the start-up on a loaded machine.
  const std::string cmd =
      shell_quote(tool) + " eval --model " + shell_quote(dir.file("m.lsfa")) + " --data " +
      shell_quote(dir.file("data")) + " --out " + shell_quote(out) +
      " --write-maps --threads 2 2>&1 & pid=$!; for i in $(seq 1200); do " + "[ -n \"$(find " +
      shell_quote(out) + " -name '*.tiff' 2>/dev/null | head -1)\" ] && break; " +
      "sleep 0.1; done; kill -INT $pid; wait $pid";
  const int rc = run_command(cmd, &log);
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(log.find("interrupted after"), std::string::npos) << log;
  EXPECT_NE(log.find("no report was written"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(out + "/report.json"));
  // The maps written before the signal are whole files: no temporaries anywhere.
  if (fs::exists(out)) {
    for (const auto &e : fs::recursive_directory_iterator(out)) {
      EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
    }
  }
}
