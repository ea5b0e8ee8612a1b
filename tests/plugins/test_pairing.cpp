// Pure helpers of the elements: the pairing rule of lsfafeatures and the alarm hysteresis of
// lsfascore.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include "lsfa_hysteresis.h"
#include "lsfa_pairing.h"
#include "lsfa_qos.h"

namespace {

using lsfa_gst::Hysteresis;
using lsfa_gst::PadHead;
using lsfa_gst::PairAction;

// ----------------------------------------------------------------------------- pairing rule

PadHead head(GstClockTime t, bool eos = false) {
  PadHead h;
  h.has_buffer = true;
  h.running_time = t;
  h.eos = eos;
  return h;
}
PadHead empty(bool eos) {
  PadHead h;
  h.eos = eos;
  return h;
}

TEST(PairingTest, WithinTolerancePairs) {
  const GstClockTime tol = 5 * GST_MSECOND;
  EXPECT_EQ(decide_pair(head(100 * GST_MSECOND), head(100 * GST_MSECOND), tol), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(100 * GST_MSECOND), head(105 * GST_MSECOND), tol), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(105 * GST_MSECOND), head(100 * GST_MSECOND), tol), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(0), head(0), 0), PairAction::kPair);
}

TEST(PairingTest, OlderUnmatchedHeadIsDropped) {
  const GstClockTime tol = 5 * GST_MSECOND;
  EXPECT_EQ(decide_pair(head(100 * GST_MSECOND), head(106 * GST_MSECOND), tol),
            PairAction::kDropRgb);
  EXPECT_EQ(decide_pair(head(140 * GST_MSECOND), head(100 * GST_MSECOND), tol),
            PairAction::kDropDepth);
  EXPECT_EQ(decide_pair(head(1), head(0), 0), PairAction::kDropDepth);
}

TEST(PairingTest, MissingTimestampsPairInArrivalOrder) {
  EXPECT_EQ(decide_pair(head(GST_CLOCK_TIME_NONE), head(7 * GST_SECOND), 0), PairAction::kPair);
  EXPECT_EQ(decide_pair(head(7 * GST_SECOND), head(GST_CLOCK_TIME_NONE), 0), PairAction::kPair);
}

TEST(PairingTest, PairTimeoutDeadlineOnlyWhileRgbWaitsForDepth) {
  const GstClockTime t = 2 * GST_SECOND, timeout = 300 * GST_MSECOND;
  // An rgb head waiting for a depth pad that is empty but not EOS: it may wait `timeout`.
  EXPECT_EQ(lsfa_gst::pair_deadline(head(t), empty(false), timeout), t + timeout);
  // Nothing waits for depth: no deadline.
  EXPECT_EQ(lsfa_gst::pair_deadline(head(t), head(t), timeout), GST_CLOCK_TIME_NONE);
  EXPECT_EQ(lsfa_gst::pair_deadline(head(t), empty(true), timeout), GST_CLOCK_TIME_NONE);
  EXPECT_EQ(lsfa_gst::pair_deadline(empty(false), empty(false), timeout), GST_CLOCK_TIME_NONE);
  EXPECT_EQ(lsfa_gst::pair_deadline(empty(false), head(t), timeout), GST_CLOCK_TIME_NONE);
  // The rgb stream ended: wake up at once to end the output, whatever depth does.
  EXPECT_EQ(lsfa_gst::pair_deadline(empty(true), empty(false), timeout), 0u);
  EXPECT_EQ(lsfa_gst::pair_deadline(empty(true), empty(false), 0), 0u);
  EXPECT_EQ(lsfa_gst::pair_deadline(head(GST_CLOCK_TIME_NONE), empty(false), timeout),
            GST_CLOCK_TIME_NONE);
  // 0 = wait for ever; a huge timeout saturates instead of wrapping to an early time.
  EXPECT_EQ(lsfa_gst::pair_deadline(head(t), empty(false), 0), GST_CLOCK_TIME_NONE);
  EXPECT_EQ(lsfa_gst::pair_deadline(head(t), empty(false), G_MAXUINT64 - 1), GST_CLOCK_TIME_NONE);
}

TEST(PairingTest, WaitsAndEnds) {
  const GstClockTime tol = GST_MSECOND;
  EXPECT_EQ(decide_pair(head(0), empty(false), tol), PairAction::kWait);
  EXPECT_EQ(decide_pair(empty(false), head(0), tol), PairAction::kWait);
  EXPECT_EQ(decide_pair(empty(false), empty(false), tol), PairAction::kWait);
  // The partner is gone for good: the head can never pair.
  EXPECT_EQ(decide_pair(head(0), empty(true), tol), PairAction::kDropRgb);
  // Output ends with the rgb stream.
  EXPECT_EQ(decide_pair(empty(true), head(0), tol), PairAction::kEos);
  EXPECT_EQ(decide_pair(empty(true), empty(true), tol), PairAction::kEos);
  EXPECT_EQ(decide_pair(empty(true), empty(false), tol), PairAction::kEos);
  // Depth EOS but depth still has a head: pairing goes on.
  EXPECT_EQ(decide_pair(head(0), head(0, true), tol), PairAction::kPair);
}

// A simulated stream: depth frames every 33 ms with one missing, rgb every 33 ms with jitter.
TEST(PairingTest, SimulatedStreamsDropOnlyTheUnmatched) {
  std::vector<GstClockTime> rgb, depth;
  for (int i = 0; i < 10; ++i) {
    rgb.push_back(i * 33 * GST_MSECOND + (i % 2) * GST_MSECOND);
    if (i != 4) depth.push_back(i * 33 * GST_MSECOND);
  }
  depth.push_back(400 * GST_MSECOND);  // a depth frame no rgb frame matches (rgb ends at ~298 ms)
  size_t ri = 0, di = 0;
  int pairs = 0, dropped_rgb = 0, dropped_depth = 0;
  for (;;) {
    PadHead r = ri < rgb.size() ? head(rgb[ri]) : empty(true);
    PadHead d = di < depth.size() ? head(depth[di]) : empty(true);
    PairAction a = decide_pair(r, d, 5 * GST_MSECOND);
    if (a == PairAction::kEos) break;
    ASSERT_NE(a, PairAction::kWait);
    if (a == PairAction::kPair) ++pairs, ++ri, ++di;
    if (a == PairAction::kDropRgb) ++dropped_rgb, ++ri;
    if (a == PairAction::kDropDepth) ++dropped_depth, ++di;
  }
  EXPECT_EQ(pairs, 9);
  EXPECT_EQ(dropped_rgb, 1);    // frame 4 had no depth
  EXPECT_EQ(dropped_depth, 0);  // the 400 ms depth is left when rgb ends
}

// ----------------------------------------------------------------------------- hysteresis

TEST(HysteresisTest, StartsAndStopsAfterRuns) {
  Hysteresis h(3, 2);
  using C = Hysteresis::Change;
  std::vector<bool> verdicts = {true, true,  false, true,  true, true,
                                true, false, true,  false, false};
  std::vector<C> expected = {C::kNone, C::kNone, C::kNone, C::kNone, C::kNone, C::kStart,
                             C::kNone, C::kNone, C::kNone, C::kNone, C::kStop};
  for (size_t i = 0; i < verdicts.size(); ++i)
    EXPECT_EQ(h.update(verdicts[i]), expected[i]) << "frame " << i;
  EXPECT_FALSE(h.active());
}

TEST(HysteresisTest, DefaultReactsToEveryFrame) {
  Hysteresis h;
  EXPECT_EQ(h.update(true), Hysteresis::Change::kStart);
  EXPECT_EQ(h.update(true), Hysteresis::Change::kNone);
  EXPECT_EQ(h.update(false), Hysteresis::Change::kStop);
  EXPECT_EQ(h.update(false), Hysteresis::Change::kNone);
  h.update(true);
  h.reset();
  EXPECT_FALSE(h.active());
}

}  // namespace

namespace {

// ----------------------------------------------------------------------------- QoS

TEST(QosTest, EarliestTimeFollowsTheVideoDecoderRule) {
  using lsfa_gst::qos_earliest_time;
  EXPECT_EQ(qos_earliest_time(100 * GST_MSECOND, 10 * GST_MSECOND), 120 * GST_MSECOND);
  EXPECT_EQ(qos_earliest_time(100 * GST_MSECOND, -30 * GST_MSECOND), 70 * GST_MSECOND);
  EXPECT_EQ(qos_earliest_time(100 * GST_MSECOND, 0), 100 * GST_MSECOND);
  EXPECT_EQ(qos_earliest_time(20 * GST_MSECOND, -30 * GST_MSECOND), 0u);
}

}  // namespace
