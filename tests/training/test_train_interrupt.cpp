// An interrupted `lsfa train` (SIGINT, as Ctrl-C) exits with an error and leaves no bundle, and
// does not touch a bundle already at the output path.
#include <gtest/gtest.h>

#include <filesystem>

#include "lsfa/io/atomic_file.h"
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
