// The start of the tests that need a trained model: a synthetic category written by `lsfa synth`
// and a small-preset bundle fitted on it by `lsfa fit`.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace lsfa::test {

// Runs `lsfa synth --out DATA --category CATEGORY SYNTH_ARGS`, then `lsfa fit --data DATA
// --category CATEGORY --out MODEL --preset small --threads 2`. A failure names the command and
// carries its output. Use as ASSERT_TRUE(synth_and_fit(...)).
inline ::testing::AssertionResult synth_and_fit(const std::string &data,
                                                const std::string &category,
                                                const std::string &synth_args,
                                                const std::string &model) {
  std::string out;
  const std::string synth =
      "synth --out " + shell_quote(data) + " --category " + category + " " + synth_args;
  if (run_lsfa(synth, &out) != 0)
    return ::testing::AssertionFailure() << "lsfa " << synth << " failed:\n" << out;
  const std::string fit = "fit --data " + shell_quote(data) + " --category " + category +
                          " --out " + shell_quote(model) + " --preset small --threads 2";
  if (run_lsfa(fit, &out) != 0)
    return ::testing::AssertionFailure() << "lsfa " << fit << " failed:\n" << out;
  return ::testing::AssertionSuccess();
}

}  // namespace lsfa::test
