#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "lsfa/core/build_info.h"
#include "lsfa/core/error.h"
#include "lsfa/core/math_buffers.h"
#include "lsfa/core/stage_progress.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/sha256.h"
#include "test_util.h"

namespace fs = std::filesystem;

TEST(AtomicFile, WritesAndReadsBack) {
  lsfa::test::TempDir dir;
  std::string path = dir.file("a.bin");
  std::string payload("abc\0def", 7);
  lsfa::write_file_atomic(path, payload);
  EXPECT_EQ(lsfa::read_file(path), payload);
  // No temporary file is left beside the target.
  int count = 0;
  for (auto &e : fs::directory_iterator(dir.path())) (void)e, ++count;
  EXPECT_EQ(count, 1);
}

TEST(AtomicFile, FailingWriterKeepsOldContents) {
  lsfa::test::TempDir dir;
  std::string path = dir.file("a.bin");
  lsfa::write_file_atomic(path, "old");
  EXPECT_THROW(lsfa::write_file_atomic_with(path,
                                            [](const std::string &tmp) {
                                              lsfa::write_file_atomic(tmp, "partial");
                                              throw lsfa::Error("interrupted");
                                            }),
               lsfa::Error);
  EXPECT_EQ(lsfa::read_file(path), "old");
}

TEST(AtomicFile, TemporariesOfKilledWritersAreRemovedOnTheNextWrite) {
  // kill -9 between creating the temporary file and the rename used to leave `x.tmp.<pid>` behind
  // for good; the next write of the same target removes it once that process is gone.
  lsfa::test::TempDir dir;
  const std::string path = dir.file("m.lsfa");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    lsfa::write_file_atomic_with(path, [](const std::string &tmp) {
      std::ofstream(tmp) << "half a bundle";
      ::raise(SIGKILL);
    });
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  const std::string stale = path + ".tmp." + std::to_string(child);
  ASSERT_TRUE(fs::exists(stale));
  // Kept: a temporary of a live process (this one, pid 1), of another target, and a non-pid tail.
  const std::vector<std::string> kept = {
      path + ".tmp." + std::to_string(::getppid()), path + ".tmp.1",
      dir.file("other.lsfa.tmp.") + std::to_string(child), path + ".tmp.12x"};
  for (const auto &k : kept) std::ofstream(k) << "x";
  lsfa::write_file_atomic(path, "whole");
  EXPECT_FALSE(fs::exists(stale));
  for (const auto &k : kept) EXPECT_TRUE(fs::exists(k)) << k;
  EXPECT_EQ(lsfa::read_file(path), "whole");
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  try {
    lsfa::write_file_atomic("/nonexistent-dir/x.bin", "x");
    FAIL() << "expected an error";
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.bin"), std::string::npos);
  }
}

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(lsfa::sha256_bytes(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(lsfa::sha256_bytes("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FileMatchesBytes) {
  lsfa::test::TempDir dir;
  std::string payload(3 << 20, 'x');  // spans several read chunks
  lsfa::write_file_atomic(dir.file("f"), payload);
  EXPECT_EQ(lsfa::sha256_file(dir.file("f")), lsfa::sha256_bytes(payload));
  EXPECT_THROW(lsfa::sha256_file(dir.file("missing")), lsfa::Error);
}

// `lsfa --version`: four lines, each one fact, matching what meson found and what LibTorch reports.
TEST(BuildInfo, VersionLinesMatchTheLibTorchMesonFound) {
  std::string out;
  ASSERT_EQ(lsfa::test::run_lsfa("--version", &out), 0) << out;
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << out;
  EXPECT_EQ(lines[0], "lsfa " + lsfa::lsfa_version());
  EXPECT_TRUE(std::regex_match(lsfa::lsfa_version(), std::regex(R"(\d+\.\d+\.\d+)")));
  const char *expected_torch = std::getenv("LSFA_EXPECTED_LIBTORCH");
  ASSERT_NE(expected_torch, nullptr);
  EXPECT_EQ(lines[1], std::string("libtorch ") + expected_torch);
  EXPECT_EQ(lsfa::libtorch_version(), expected_torch);
  const bool cuda_build = std::string(std::getenv("LSFA_EXPECTED_CUDA")) == "yes";
  if (cuda_build) {
    EXPECT_TRUE(std::regex_match(lines[2], std::regex(R"(cuda \d+\.\d+)"))) << lines[2];
  } else {
    EXPECT_EQ(lines[2], "cuda none");
  }
  EXPECT_EQ(lines[3], "devices " + std::to_string(torch::cuda::device_count()));
  EXPECT_EQ(lsfa::cuda_device_count(), static_cast<int>(torch::cuda::device_count()));
}

TEST(MathBuffers, CachedBuffersAreHandedBackWithMkl) {
  // With MKL (PyTorch's LibTorch builds) a thread that ran matrix products keeps packing buffers in
  // MKL's memory manager for as long as it lives (the streaming threads of a pipeline do);
  // release_math_buffers hands every unused one back, so none is left after it. (How much MKL
  // keeps varies with sizes and threads; the heap check of FaultsTest.PlayingNullCyclesLeakNothing
  // shows the effect on a pipeline.) Without MKL (Debian's OpenBLAS build) there is nothing to
  // release, and both functions say so.
  for (int64_t n : {64, 512, 1024}) {
    at::Tensor a = at::randn({n, n});
    ASSERT_TRUE(at::mm(a, a).isfinite().all().item<bool>());
  }
  if (!at::hasMKL()) {
    EXPECT_FALSE(lsfa::release_math_buffers());
    EXPECT_EQ(lsfa::math_buffer_bytes(), -1);
    return;
  }
  // This thread is still alive, so its buffers are still held (about 1.6 MB with PyTorch 2.15).
  EXPECT_GT(lsfa::math_buffer_bytes(), 0);
  EXPECT_TRUE(lsfa::release_math_buffers());
  EXPECT_EQ(lsfa::math_buffer_bytes(), 0);
}

TEST(StageProgress, ReportsEachStageEndsAndThrottlesBetween) {
  using namespace std::chrono_literals;
  lsfa::StageProgress p(0.1);
  const auto t0 = lsfa::StageProgress::Clock::time_point{} + 100s;
  double eta = 123;
  // First call of a stage: reported, no rate yet.
  ASSERT_TRUE(p.update("bank rgb", 0, 10, &eta, t0));
  EXPECT_EQ(eta, -1.0);
  // 50 ms later: throttled; 120 ms after the last report: reported with the stage's rate
  // (4 of 10 in 2 s -> 3 s left).
  EXPECT_FALSE(p.update("bank rgb", 1, 10, &eta, t0 + 50ms));
  ASSERT_TRUE(p.update("bank rgb", 4, 10, &eta, t0 + 2s));
  EXPECT_DOUBLE_EQ(eta, 3.0);
  EXPECT_FALSE(p.update("bank rgb", 5, 10, &eta, t0 + 2s + 10ms));
  // The last call of a stage is always reported, however soon.
  ASSERT_TRUE(p.update("bank rgb", 10, 10, &eta, t0 + 2s + 20ms));
  EXPECT_EQ(eta, 0.0);
  // A new stage is reported at once and its rate starts from there (2 of 8 in 1 s -> 3 s).
  ASSERT_TRUE(p.update("coreset rgb", 1, 8, &eta, t0 + 2s + 30ms));
  EXPECT_TRUE(p.update("coreset rgb", 2, 8, &eta, t0 + 3s + 30ms));
  EXPECT_DOUBLE_EQ(eta, 3.0);
}
