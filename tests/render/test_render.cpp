// lib/render against OpenCV's own functions: colour maps (cv::applyColorMap), resampling
// (cv::resize INTER_LINEAR where the geometry matches), blending (cv::addWeighted), contours
// (cv::findContours / cv::drawContours), text (cv::putText); plus the overlay's properties: fixed
// range, alpha 0 leaves the frame, channel order, the fourth byte, the colour bar.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <opencv2/imgproc.hpp>
#include <random>
#include <set>
#include <string>

#include "lsfa/core/error.h"
#include "lsfa/render/colorbar.h"
#include "lsfa/render/colormap.h"
#include "lsfa/render/depth_view.h"
#include "lsfa/render/map_sampling.h"
#include "lsfa/render/overlay.h"
#include "lsfa/render/sample_heatmap.h"
#include "lsfa/render/text_box.h"
#include "lsfa/render/value_range.h"

namespace {

using lsfa::ChannelOrder;
using lsfa::Colormap;

cv::Mat ramp256() {
  cv::Mat r(1, 256, CV_8UC1);
  for (int i = 0; i < 256; ++i) r.at<uint8_t>(i) = static_cast<uint8_t>(i);
  return r;
}

cv::Mat random_map(int w, int h, unsigned seed, float lo = 0.0f, float hi = 3.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  cv::Mat m(h, w, CV_32FC1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<float>(y, x) = d(rng);
  return m;
}

// Number of differing pixels (any channel) between two images of the same type.
int differing_pixels(const cv::Mat &a, const cv::Mat &b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Mat any = diff.reshape(1, static_cast<int>(diff.total()));
  cv::reduce(any, any, 1, cv::REDUCE_MAX);
  return cv::countNonZero(any);
}

// Style with everything off but the heatmap.
lsfa::OverlayStyle heatmap_only(Colormap map, double alpha) {
  lsfa::OverlayStyle s;
  s.colormap = map;
  s.alpha = alpha;
  s.show_border = s.show_score = s.show_contour = s.show_colorbar = false;
  return s;
}

lsfa::AnomalyOverlayInput input_over_frame(const cv::Mat &map, cv::Size frame) {
  lsfa::AnomalyOverlayInput in;
  in.map = map;
  in.map_rect = {0, 0, static_cast<double>(frame.width), static_cast<double>(frame.height)};
  in.calibrated_range = {0, 3};
  in.pixel_threshold = 1.5f;
  in.score = 0.73f;
  in.threshold = 0.5f;
  in.is_anomalous = true;
  return in;
}

// ----------------------------------------------------------------------------- colour maps

TEST(RenderColormap, EveryMapEqualsOpenCv) {
  // Independent of the library's table: the OpenCV map each name must be.
  const std::map<std::string, int> opencv = {
      {"jet", cv::COLORMAP_JET},         {"inferno", cv::COLORMAP_INFERNO},
      {"turbo", cv::COLORMAP_TURBO},     {"viridis", cv::COLORMAP_VIRIDIS},
      {"magma", cv::COLORMAP_MAGMA},     {"plasma", cv::COLORMAP_PLASMA},
      {"cividis", cv::COLORMAP_CIVIDIS}, {"parula", cv::COLORMAP_PARULA},
      {"hot", cv::COLORMAP_HOT},         {"bone", cv::COLORMAP_BONE}};
  const cv::Mat index = ramp256();
  std::set<std::string> seen;
  for (const lsfa::ColormapInfo &c : lsfa::colormaps()) {
    SCOPED_TRACE(c.name);
    seen.insert(c.name);
    const cv::Mat bgr = lsfa::apply_colormap(index, c.map, ChannelOrder::kBgr);
    const cv::Mat rgb = lsfa::apply_colormap(index, c.map, ChannelOrder::kRgb);
    ASSERT_EQ(bgr.type(), CV_8UC3);
    cv::Mat expected;
    if (std::string(c.name) == "gray") {
      cv::cvtColor(index, expected, cv::COLOR_GRAY2BGR);
    } else {
      ASSERT_EQ(opencv.count(c.name), 1u);
      cv::applyColorMap(index, expected, opencv.at(c.name));
    }
    EXPECT_EQ(differing_pixels(bgr, expected), 0);
    cv::Mat swapped;
    cv::cvtColor(expected, swapped, cv::COLOR_BGR2RGB);
    EXPECT_EQ(differing_pixels(rgb, swapped), 0);
  }
  EXPECT_EQ(seen.size(), lsfa::colormaps().size());  // names are unique
  EXPECT_EQ(seen.size(), opencv.size() + 1);
}

TEST(RenderColormap, ExistingNamesKeepTheirNumbers) {
  // lsfaoverlay's enum property stores these numbers.
  const std::map<std::string, int> stable = {{"jet", 0}, {"inferno", 1}, {"turbo", 2}, {"gray", 3}};
  int found = 0;
  for (const lsfa::ColormapInfo &c : lsfa::colormaps())
    if (stable.count(c.name)) {
      EXPECT_EQ(static_cast<int>(c.map), stable.at(c.name)) << c.name;
      ++found;
    }
  EXPECT_EQ(found, 4);
  for (size_t i = 0; i < lsfa::colormaps().size(); ++i)
    EXPECT_EQ(static_cast<size_t>(lsfa::colormaps()[i].map), i);
}

// ----------------------------------------------------------------------------- resampling

TEST(RenderResample, WholeFrameEqualsCvResizeLinear) {
  // Up, down and mixed scale factors, the map covering the whole frame.
  const std::pair<cv::Size, cv::Size> cases[] = {
      {{7, 5}, {23, 17}}, {{8, 8}, {32, 32}}, {{28, 28}, {13, 9}}, {{5, 9}, {40, 6}}};
  unsigned seed = 1;
  for (const auto &[map_size, frame] : cases) {
    SCOPED_TRACE(testing::Message() << map_size << " -> " << frame);
    const cv::Mat map = random_map(map_size.width, map_size.height, seed++);
    const cv::Mat ours = lsfa::resample_map(
        map, {0, 0, static_cast<double>(frame.width), static_cast<double>(frame.height)}, frame);
    cv::Mat reference;
    cv::resize(map, reference, frame, 0, 0, cv::INTER_LINEAR);
    ASSERT_EQ(ours.size(), reference.size());
    EXPECT_LE(cv::norm(ours, reference, cv::NORM_INF), 1e-5);
  }
}

TEST(RenderResample, PixelAlignedRectangleEqualsCvResizeInside) {
  const cv::Mat map = random_map(6, 4, 7);
  const cv::Size frame(30, 20);
  const cv::Rect inside(5, 3, 16, 12);
  const cv::Mat ours = lsfa::resample_map(map, {5, 3, 16, 12}, frame);
  cv::Mat reference;
  cv::resize(map, reference, inside.size(), 0, 0, cv::INTER_LINEAR);
  EXPECT_LE(cv::norm(ours(inside), reference, cv::NORM_INF), 1e-5);
  // No value outside the rectangle.
  cv::Mat has_value;
  cv::compare(ours, ours, has_value, cv::CMP_EQ);
  EXPECT_EQ(cv::countNonZero(has_value), inside.area());
  EXPECT_EQ(cv::countNonZero(has_value(inside)), inside.area());
}

TEST(RenderResample, PixelCentreConvention) {
  // Cell i of a map of 4 cells over [-2, 14) has its centre at frame x = -2 + 4 i + 2.
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(lsfa::frame_to_map(4.0 * i, -2, 16, 4), i);
  // A 2-cell ramp [0, 1] over a frame of 4: pixel centres 0.5, 1.5, 2.5, 3.5 read 0 (clamped),
  // 0.25, 0.75, 1 (clamped).
  cv::Mat map = (cv::Mat_<float>(1, 2) << 0.0f, 1.0f);
  const cv::Mat out = lsfa::resample_map(map, {0, 0, 4, 1}, {4, 1});
  EXPECT_FLOAT_EQ(out.at<float>(0), 0.0f);
  EXPECT_FLOAT_EQ(out.at<float>(1), 0.25f);
  EXPECT_FLOAT_EQ(out.at<float>(2), 0.75f);
  EXPECT_FLOAT_EQ(out.at<float>(3), 1.0f);
  // A rectangle starting half a pixel in: the first pixel centre (0.5) lies on its edge (inside),
  // a rectangle ending at 3.5 leaves the last pixel out.
  const cv::Mat shifted = lsfa::resample_map(map, {0.5, 0, 3.0, 1}, {4, 1});
  EXPECT_FALSE(std::isnan(shifted.at<float>(0)));
  EXPECT_TRUE(std::isnan(shifted.at<float>(3)));
}

// ----------------------------------------------------------------------------- fixed range

TEST(RenderRange, IndicesAndFallback) {
  const lsfa::ValueRange r{1, 3};
  EXPECT_EQ(lsfa::range_index(1, r), 0);
  EXPECT_EQ(lsfa::range_index(3, r), 255);
  EXPECT_EQ(lsfa::range_index(2, r), 128);  // 127.5 rounds up
  EXPECT_EQ(lsfa::range_index(-5, r), 0);
  EXPECT_EQ(lsfa::range_index(9, r), 255);
  EXPECT_EQ(lsfa::range_index(1.5f, r), 64);
  EXPECT_EQ(lsfa::range_index(NAN, r), 0);
  // A proper preferred range wins; otherwise the fallback; a degenerate one is widened.
  EXPECT_EQ(lsfa::display_range({0, 6}, {1, 3}).high, 6);
  EXPECT_EQ(lsfa::display_range({0, 0}, {1, 3}).low, 1);
  EXPECT_EQ(lsfa::display_range({0, 0}, {2, 2}).high, 3);
}

TEST(RenderOverlay, FixedRangeGivesTheSameColourInEveryFrame) {
  // Two frames whose maps have different maxima: a pixel with the same value gets the same
  // colour (no per-frame min/max), the calibrated colour of that value.
  const cv::Size size(4, 1);
  cv::Mat a = (cv::Mat_<float>(1, 4) << 1.0f, 1.0f, 0.5f, 0.5f);
  cv::Mat b = (cv::Mat_<float>(1, 4) << 1.0f, 1.0f, 3.0f, 3.0f);
  cv::Mat fa(size, CV_8UC3, cv::Scalar::all(0)), fb = fa.clone();
  const lsfa::OverlayStyle style = heatmap_only(Colormap::kTurbo, 1.0);
  lsfa::draw_anomaly_overlay(fa, ChannelOrder::kRgb, input_over_frame(a, size), style);
  lsfa::draw_anomaly_overlay(fb, ChannelOrder::kRgb, input_over_frame(b, size), style);
  EXPECT_EQ(fa.at<cv::Vec3b>(0, 0), fb.at<cv::Vec3b>(0, 0));
  const cv::Mat index(1, 1, CV_8UC1, cv::Scalar(lsfa::range_index(1.0f, {0, 3})));
  EXPECT_EQ(fa.at<cv::Vec3b>(0, 0),
            lsfa::apply_colormap(index, Colormap::kTurbo, ChannelOrder::kRgb).at<cv::Vec3b>(0));
  // The style's range, when set, replaces the calibrated one.
  lsfa::OverlayStyle wide = style;
  wide.range = {0, 6};
  cv::Mat fc(size, CV_8UC3, cv::Scalar::all(0));
  lsfa::draw_anomaly_overlay(fc, ChannelOrder::kRgb, input_over_frame(b, size), wide);
  const cv::Mat mid(1, 1, CV_8UC1, cv::Scalar(128));
  EXPECT_EQ(fc.at<cv::Vec3b>(0, 3),
            lsfa::apply_colormap(mid, Colormap::kTurbo, ChannelOrder::kRgb).at<cv::Vec3b>(0));
}

// ----------------------------------------------------------------------------- blending

TEST(RenderOverlay, AlphaZeroLeavesTheFrame) {
  const cv::Size size(41, 29);
  cv::Mat frame(size, CV_8UC3);
  cv::randu(frame, 0, 256);
  const cv::Mat before = frame.clone();
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kRgb, input_over_frame(random_map(5, 4, 3), size),
                             heatmap_only(Colormap::kJet, 0.0));
  EXPECT_EQ(differing_pixels(frame, before), 0);
}

TEST(RenderOverlay, BlendEqualsAddWeightedInsideTheRectangle) {
  const cv::Size size(40, 24);
  cv::Mat frame(size, CV_8UC3);
  cv::randu(frame, 0, 256);
  const cv::Mat before = frame.clone();
  lsfa::AnomalyOverlayInput in = input_over_frame(random_map(6, 3, 11, -0.5f, 3.5f), size);
  in.map_rect = {10, 0, 30, 24};  // columns 10..39
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kBgr, in, heatmap_only(Colormap::kInferno, 0.3));

  // Reference with OpenCV alone: cv::resize of the map, the fixed range to 8 bits,
  // cv::applyColorMap (BGR), cv::addWeighted.
  cv::Mat values;
  cv::resize(in.map, values, {30, 24}, 0, 0, cv::INTER_LINEAR);
  cv::Mat index(values.size(), CV_8UC1);
  for (int y = 0; y < values.rows; ++y)
    for (int x = 0; x < values.cols; ++x)
      index.at<uint8_t>(y, x) = static_cast<uint8_t>(
          std::lround(std::clamp(values.at<float>(y, x) / 3.0f, 0.0f, 1.0f) * 255.0f));
  cv::Mat colours, expected = before.clone(), blended;
  cv::applyColorMap(index, colours, cv::COLORMAP_INFERNO);
  const cv::Rect r(10, 0, 30, 24);
  cv::addWeighted(before(r), 0.7, colours, 0.3, 0.0, blended);
  blended.copyTo(expected(r));
  EXPECT_EQ(differing_pixels(frame, expected), 0);
}

TEST(RenderOverlay, FourthByteIsKept) {
  const cv::Size size(64, 48);
  cv::Mat frame(size, CV_8UC4, cv::Scalar(10, 20, 30, 77));
  lsfa::OverlayStyle style;  // everything on
  style.show_colorbar = true;
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kRgb, input_over_frame(random_map(4, 4, 5), size),
                             style);
  std::vector<cv::Mat> channels;
  cv::split(frame, channels);
  EXPECT_EQ(cv::countNonZero(channels[3] != 77), 0);
  EXPECT_GT(cv::countNonZero(channels[0] != 10), 1000);  // something was drawn
}

// ----------------------------------------------------------------------------- border

TEST(RenderOverlay, BorderInVerdictColourAndChannelOrder) {
  const cv::Size size(50, 30);
  lsfa::OverlayStyle style = heatmap_only(Colormap::kJet, 0.0);
  style.show_border = true;
  style.border_width = 3;
  lsfa::AnomalyOverlayInput in = input_over_frame(cv::Mat(), size);
  for (ChannelOrder order : {ChannelOrder::kRgb, ChannelOrder::kBgr}) {
    for (bool anomalous : {true, false}) {
      in.is_anomalous = anomalous;
      cv::Mat frame(size, CV_8UC3, cv::Scalar::all(100));
      lsfa::draw_anomaly_overlay(frame, order, in, style);
      cv::Vec3b rgb = anomalous ? cv::Vec3b(255, 0, 0) : cv::Vec3b(0, 200, 0);
      cv::Vec3b want = order == ChannelOrder::kRgb ? rgb : cv::Vec3b(rgb[2], rgb[1], rgb[0]);
      for (const cv::Point p : {cv::Point(0, 0), cv::Point(2, 15), cv::Point(49, 29),
                                cv::Point(25, 27), cv::Point(47, 5)})
        EXPECT_EQ(frame.at<cv::Vec3b>(p), want) << p;
      EXPECT_EQ(frame.at<cv::Vec3b>(3, 3), cv::Vec3b(100, 100, 100));
      EXPECT_EQ(frame.at<cv::Vec3b>(26, 46), cv::Vec3b(100, 100, 100));
    }
  }
  // Width 0: 1 % of the shorter side, at least 2.
  style.border_width = 0;
  EXPECT_EQ(lsfa::border_width(style, {50, 30}), 2);
  EXPECT_EQ(lsfa::border_width(style, {1920, 1080}), 10);
}

// ----------------------------------------------------------------------------- contour

TEST(RenderOverlay, ContourEqualsDrawContoursOfTheThresholdedMap) {
  // A ring-shaped region (a hole inside) from a radial map, drawn onto an unblended frame.
  const cv::Size size(60, 50);
  cv::Mat map(10, 12, CV_32FC1);
  for (int y = 0; y < map.rows; ++y)
    for (int x = 0; x < map.cols; ++x) {
      const double r = std::hypot(x - 5.5, y - 4.5);
      map.at<float>(y, x) = static_cast<float>(3.0 * std::exp(-(r - 3.0) * (r - 3.0)));
    }
  lsfa::AnomalyOverlayInput in = input_over_frame(map, size);
  lsfa::OverlayStyle style = heatmap_only(Colormap::kJet, 0.0);
  style.show_contour = true;
  cv::Mat frame(size, CV_8UC3, cv::Scalar::all(40));
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kRgb, in, style);

  cv::Mat values;
  cv::resize(map, values, size, 0, 0, cv::INTER_LINEAR);
  const cv::Mat above = values > in.pixel_threshold;
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(above, contours, cv::RETR_LIST, cv::CHAIN_APPROX_NONE);
  ASSERT_GE(contours.size(), 2u);  // outer border and hole
  cv::Mat expected(size, CV_8UC3, cv::Scalar::all(40));
  cv::drawContours(expected, contours, -1, cv::Scalar::all(255), 1);
  EXPECT_EQ(differing_pixels(frame, expected), 0);

  // Independently of OpenCV: the white pixels are exactly the region pixels with a 4-neighbour
  // outside the region.
  int checked = 0;
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      auto in_region = [&](int xx, int yy) {
        return xx >= 0 && yy >= 0 && xx < size.width && yy < size.height &&
               above.at<uint8_t>(yy, xx) != 0;
      };
      const bool border = in_region(x, y) && (!in_region(x - 1, y) || !in_region(x + 1, y) ||
                                              !in_region(x, y - 1) || !in_region(x, y + 1));
      const bool white = frame.at<cv::Vec3b>(y, x) == cv::Vec3b(255, 255, 255);
      EXPECT_EQ(white, border) << x << "," << y;
      checked += border;
    }
  EXPECT_GT(checked, 50);
}

// ----------------------------------------------------------------------------- text

TEST(RenderText, VerdictLabel) {
  lsfa::AnomalyOverlayInput in;
  in.score = 0.734f;
  in.threshold = 0.5f;
  in.is_anomalous = true;
  EXPECT_EQ(lsfa::verdict_label(in), "ANOMALY 0.73/0.50");
  in.is_anomalous = false;
  in.score = 0.31f;
  EXPECT_EQ(lsfa::verdict_label(in), "OK 0.31/0.50");
  in.score = NAN;
  EXPECT_EQ(lsfa::verdict_label(in), "--");
}

TEST(RenderText, LabelIsPutTextInABlackBoxAfterTheBorder) {
  const cv::Size size(320, 240);
  lsfa::OverlayStyle style = heatmap_only(Colormap::kJet, 0.0);
  style.show_score = true;
  const lsfa::AnomalyOverlayInput in = input_over_frame(cv::Mat(), size);
  cv::Mat frame(size, CV_8UC3, cv::Scalar::all(100));
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kRgb, in, style);

  const lsfa::TextBox t = lsfa::layout_text(
      "ANOMALY 0.73/0.50", {2, 2},
      lsfa::fit_text_scale("ANOMALY 0.73/0.50", lsfa::text_scale(size), size.width - 4));
  cv::Mat expected(size, CV_8UC3, cv::Scalar::all(100));
  cv::rectangle(expected, t.box, cv::Scalar::all(0), cv::FILLED);
  cv::putText(expected, "ANOMALY 0.73/0.50", t.origin, cv::FONT_HERSHEY_SIMPLEX, t.scale,
              cv::Scalar::all(255), t.thickness, cv::LINE_AA);
  EXPECT_EQ(differing_pixels(frame, expected), 0);
  // Legible: the box holds the whole text and has plenty of bright pixels.
  EXPECT_TRUE((t.box & cv::Rect({0, 0}, size)) == t.box);
  cv::Mat gray;
  cv::cvtColor(frame(t.box), gray, cv::COLOR_RGB2GRAY);
  EXPECT_GT(cv::countNonZero(gray > 128), 60);
  EXPECT_GE(t.box.height, 10);
}

// ----------------------------------------------------------------------------- colour bar

TEST(RenderColorbar, ShowsTheRangeWithTheThresholdMarked) {
  const cv::Size size(200, 160);
  lsfa::OverlayStyle style = heatmap_only(Colormap::kViridis, 0.0);
  lsfa::AnomalyOverlayInput in = input_over_frame(cv::Mat(), size);
  in.calibrated_range = {0, 4};
  in.pixel_threshold = 1.0f;
  cv::Mat plain(size, CV_8UC3, cv::Scalar::all(100));
  cv::Mat frame = plain.clone();
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kRgb, in, style);
  EXPECT_EQ(differing_pixels(frame, plain), 0);  // off by default in the style used here

  style.show_colorbar = true;
  lsfa::draw_anomaly_overlay(frame, ChannelOrder::kRgb, in, style);
  const cv::Rect bar = lsfa::colorbar_rect(size, 0);
  ASSERT_TRUE((bar & cv::Rect({0, 0}, size)) == bar);
  EXPECT_GE(bar.height, size.height / 2);
  const int marker = lsfa::colorbar_row(bar, in.calibrated_range, 1.0f);
  // 1 on 0..4 lies three quarters down the bar.
  EXPECT_EQ(marker, bar.y + static_cast<int>(std::lround(0.75 * (bar.height - 1))));
  EXPECT_EQ(lsfa::colorbar_row(bar, in.calibrated_range, 4.0f), bar.y);
  EXPECT_EQ(lsfa::colorbar_row(bar, in.calibrated_range, 0.0f), bar.y + bar.height - 1);
  EXPECT_EQ(lsfa::colorbar_row(bar, in.calibrated_range, 4.5f), -1);

  // Each bar row (but the marker) is the OpenCV colour of its index, 255 at the top to 0 at the
  // bottom, across the whole width.
  cv::Mat ramp(bar.height, 1, CV_8UC1);
  for (int r = 0; r < bar.height; ++r)
    ramp.at<uint8_t>(r) =
        static_cast<uint8_t>(std::lround(255.0 * (bar.height - 1 - r) / (bar.height - 1)));
  cv::Mat colours;
  cv::applyColorMap(ramp, colours, cv::COLORMAP_VIRIDIS);
  cv::cvtColor(colours, colours, cv::COLOR_BGR2RGB);
  for (int r = 0; r < bar.height; ++r)
    for (int x = bar.x; x < bar.x + bar.width; ++x) {
      const cv::Vec3b got = frame.at<cv::Vec3b>(bar.y + r, x);
      if (bar.y + r == marker)
        ASSERT_EQ(got, cv::Vec3b(255, 255, 255)) << x;
      else
        ASSERT_EQ(got, colours.at<cv::Vec3b>(r)) << r << "," << x;
    }
  // The values are written left of the bar (text in black boxes).
  const cv::Rect labels(bar.x - 60, bar.y - 10, 58, bar.height + 20);
  EXPECT_GT(differing_pixels(frame(labels), plain(labels)), 100);
}

}  // namespace

TEST(RenderText, TheLabelFitsSmallFrames) {
  // 96 x 72: at the frame's nominal scale the label is wider than the frame; it is shrunk to fit.
  const std::string label = "ANOMALY 4.87/0.62";
  const double nominal = lsfa::text_scale({96, 72});
  EXPECT_GT(lsfa::layout_text(label, {0, 0}, nominal).box.width, 96 - 4);
  const double fitted = lsfa::fit_text_scale(label, nominal, 96 - 4);
  EXPECT_LT(fitted, nominal);
  EXPECT_LE(lsfa::layout_text(label, {0, 0}, fitted).box.width, 96 - 4);
  // A label that fits keeps its scale.
  EXPECT_DOUBLE_EQ(lsfa::fit_text_scale("OK", nominal, 96 - 4), nominal);
}

TEST(RenderColorbar, LabelsNeverOverlapOrLeaveSmallFrames) {
  // On small frames the three labels (range high, range low, threshold) used to be drawn over
  // each other and past the frame's edge; now they are shrunk, and skipped when they cannot fit.
  bool dropped_some = false;
  for (const cv::Size size : {cv::Size(24, 16), cv::Size(32, 24), cv::Size(48, 32),
                              cv::Size(64, 48), cv::Size(96, 72), cv::Size(160, 120)}) {
    const cv::Rect bar = lsfa::colorbar_rect(size, 2);
    const std::vector<lsfa::TextBox> labels =
        lsfa::colorbar_labels(size, bar, {0.0f, 12.5f}, 6.0f, lsfa::text_scale(size) * 0.8);
    const cv::Rect frame({0, 0}, size);
    for (size_t i = 0; i < labels.size(); ++i) {
      EXPECT_EQ(labels[i].box & frame, labels[i].box) << size << " label " << labels[i].text;
      EXPECT_LE(labels[i].box.x + labels[i].box.width, bar.x) << size;  // left of the bar
      for (size_t j = 0; j < i; ++j)
        EXPECT_EQ((labels[i].box & labels[j].box).area(), 0)
            << size << ": " << labels[i].text << " over " << labels[j].text;
    }
    dropped_some |= labels.size() < 3;
    // What is drawn is exactly these labels: outside their boxes, the bar and its marker, the
    // frame is untouched.
    cv::Mat plain(size, CV_8UC3, cv::Scalar::all(100)), img = plain.clone();
    lsfa::draw_colorbar(img, ChannelOrder::kRgb, bar, Colormap::kJet, {0.0f, 12.5f}, 6.0f);
    cv::Mat allowed(size, CV_8UC1, cv::Scalar(0));
    for (const auto &t : labels) allowed(t.box & frame).setTo(255);
    const int tick = std::max(2, bar.width / 3);
    allowed((cv::Rect(bar.x - tick - 1, bar.y - 1, bar.width + tick + 2, bar.height + 2)) & frame)
        .setTo(255);
    cv::Mat diff;
    cv::absdiff(img, plain, diff);
    cv::cvtColor(diff, diff, cv::COLOR_RGB2GRAY);
    diff.setTo(0, allowed);
    EXPECT_EQ(cv::countNonZero(diff), 0) << size;
  }
  EXPECT_TRUE(dropped_some);  // the smallest frames have no room for all three
  // A frame with room keeps all three labels at the requested scale.
  const cv::Size big(640, 480);
  const auto labels = lsfa::colorbar_labels(big, lsfa::colorbar_rect(big, 6), {0.0f, 12.5f}, 6.0f,
                                            lsfa::text_scale(big) * 0.8);
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_EQ(labels[0].text, "12.50");
  EXPECT_EQ(labels[1].text, "0.00");
  EXPECT_EQ(labels[2].text, "6.00");
  EXPECT_DOUBLE_EQ(labels[2].scale, lsfa::text_scale(big) * 0.8);
}

// ----------------------------------------------------------------------------- sample heatmap

namespace {

// A frame with a textured RGB, a map ramp and a rectangular defect mask.
lsfa::SampleHeatmapInput heatmap_input(cv::Size size, cv::Rect defect) {
  lsfa::SampleHeatmapInput in;
  in.rgb.create(size, CV_8UC3);
  cv::randu(in.rgb, cv::Scalar::all(60), cv::Scalar::all(120));
  in.map = random_map(size.width, size.height, 5, 0.0f, 2.0f);
  in.gt = cv::Mat::zeros(size, CV_8UC1);
  in.gt(defect).setTo(255);
  in.range = {0.0f, 2.0f};
  in.pixel_threshold = 1.2f;
  in.caption = "crack/003  score 1.520 > 1.100: ANOMALY  (label: defect)";
  return in;
}

}  // namespace

TEST(RenderSampleHeatmap, HeatmapAsTheOverlayBlendsItWithTheGroundTruthContour) {
  const cv::Size size(300, 260);
  const cv::Rect defect(100, 80, 60, 40);
  const lsfa::SampleHeatmapInput in = heatmap_input(size, defect);
  const cv::Mat fig = lsfa::draw_sample_heatmap(in);
  const lsfa::SampleHeatmapLayout l = lsfa::sample_heatmap_layout(size);
  ASSERT_EQ(l.scale, 1);
  EXPECT_EQ(fig.size(), l.figure);
  EXPECT_EQ(fig.type(), CV_8UC3);
  EXPECT_EQ(l.frame.size(), size);
  EXPECT_GE(l.colorbar.x, l.frame.x + l.frame.width);  // the bar hides nothing of the frame
  EXPECT_LE(l.colorbar.x + l.colorbar.width, fig.cols);

  // Expectation from OpenCV: jet of the map's index in the range, blended 50/50 with the frame.
  cv::Mat bgr, heat, blended;
  cv::cvtColor(in.rgb, bgr, cv::COLOR_RGB2BGR);
  const cv::Mat index = lsfa::range_indices(in.map, in.range);
  cv::applyColorMap(index, heat, cv::COLORMAP_JET);
  cv::addWeighted(bgr, 0.5, heat, 0.5, 0.0, blended);
  const cv::Mat frame = fig(l.frame);
  const cv::Vec3b green(0, 255, 0);  // BGR
  int boundary = 0, checked = 0;
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const bool in_defect = defect.contains({x, y});
      const bool on_boundary = in_defect && (x == defect.x || y == defect.y ||
                                             x == defect.br().x - 1 || y == defect.br().y - 1);
      if (on_boundary) {
        // The contour runs exactly along the mask's boundary pixels.
        ASSERT_EQ(frame.at<cv::Vec3b>(y, x), green) << x << "," << y;
        ++boundary;
      } else {
        // Everywhere else: the blended heatmap (one level of rounding).
        const cv::Vec3b got = frame.at<cv::Vec3b>(y, x), want = blended.at<cv::Vec3b>(y, x);
        for (int c = 0; c < 3; ++c) ASSERT_LE(std::abs(got[c] - want[c]), 1) << x << "," << y;
        ++checked;
      }
    }
  EXPECT_EQ(boundary, 2 * (defect.width + defect.height) - 4);
  EXPECT_GT(checked, 0);
  // The colour bar: jet from high (top) to low (bottom), labels left of it in the side panel.
  const int cx = l.colorbar.x + l.colorbar.width / 2;
  cv::Mat top(1, 1, CV_8UC1, cv::Scalar(255)), bottom(1, 1, CV_8UC1, cv::Scalar(0)), c;
  cv::applyColorMap(top, c, cv::COLORMAP_JET);
  EXPECT_EQ(fig.at<cv::Vec3b>(l.colorbar.y, cx), c.at<cv::Vec3b>(0));
  cv::applyColorMap(bottom, c, cv::COLORMAP_JET);
  EXPECT_EQ(fig.at<cv::Vec3b>(l.colorbar.y + l.colorbar.height - 1, cx), c.at<cv::Vec3b>(0));
  const auto labels = lsfa::colorbar_labels(fig.size(), l.colorbar, in.range, in.pixel_threshold,
                                            l.text_scale, l.frame.x + l.frame.width + 1);
  ASSERT_EQ(labels.size(), 3u);  // 2.00, 0.00 and the threshold 1.20, all legible
  for (const auto &t : labels) {
    EXPECT_GT(t.box.x, l.frame.x + l.frame.width) << t.text;
    EXPECT_GE(t.box.height, 12) << t.text;
  }
  // The caption, white text on black, above the frame.
  cv::Mat caption_gray;
  cv::cvtColor(fig(cv::Rect(0, 0, fig.cols, l.frame.y)), caption_gray, cv::COLOR_BGR2GRAY);
  EXPECT_GT(cv::countNonZero(caption_gray > 200), 100);
}

TEST(RenderSampleHeatmap, SmallFramesAreEnlargedAndContourFollowsTheEnlargedMask) {
  const cv::Size size(64, 48);
  const cv::Rect defect(20, 10, 8, 6);
  const lsfa::SampleHeatmapInput in = heatmap_input(size, defect);
  const lsfa::SampleHeatmapLayout l = lsfa::sample_heatmap_layout(size);
  EXPECT_EQ(l.scale, 6);  // ceil(256 / 48)
  const cv::Mat fig = lsfa::draw_sample_heatmap(in);
  ASSERT_EQ(fig.size(), l.figure);
  const cv::Mat frame = fig(l.frame);
  EXPECT_EQ(frame.size(), size * 6);
  const cv::Rect big(defect.x * 6, defect.y * 6, defect.width * 6, defect.height * 6);
  const cv::Vec3b green(0, 255, 0);
  // Boundary pixels of the enlarged mask are green; pixels two steps inside or outside are not.
  for (int x = big.x; x < big.br().x; ++x) {
    EXPECT_EQ(frame.at<cv::Vec3b>(big.y, x), green) << x;
    EXPECT_EQ(frame.at<cv::Vec3b>(big.br().y - 1, x), green) << x;
  }
  for (int y = big.y; y < big.br().y; ++y) {
    EXPECT_EQ(frame.at<cv::Vec3b>(y, big.x), green) << y;
    EXPECT_EQ(frame.at<cv::Vec3b>(y, big.br().x - 1), green) << y;
  }
  EXPECT_NE(frame.at<cv::Vec3b>(big.y + 2, big.x + 2 + big.width / 2), green);
  EXPECT_NE(frame.at<cv::Vec3b>(big.y - 2, big.x + big.width / 2), green);
  EXPECT_NE(frame.at<cv::Vec3b>(big.y + big.height / 2, big.br().x + 1), green);
}

TEST(RenderSampleHeatmap, BadInputsAreRefused) {
  lsfa::SampleHeatmapInput in = heatmap_input({40, 30}, {1, 1, 4, 4});
  in.map = cv::Mat::zeros(30, 41, CV_32FC1);
  EXPECT_THROW(lsfa::draw_sample_heatmap(in), lsfa::Error);
  in = heatmap_input({40, 30}, {1, 1, 4, 4});
  in.gt = cv::Mat::zeros(31, 40, CV_8UC1);
  EXPECT_THROW(lsfa::draw_sample_heatmap(in), lsfa::Error);
  in = heatmap_input({40, 30}, {1, 1, 4, 4});
  in.gt = cv::Mat();  // no ground truth: no contour, still a figure
  EXPECT_NO_THROW(lsfa::draw_sample_heatmap(in));
}

TEST(RenderDepthView, RangeOverMeasuredPointsAndColoursEqualApplyColorMap) {
  // z = 1 + 0.1 x on a 5 x 2 cloud; (0,0,0), NaN and an infinite point are not measurements.
  cv::Mat xyz(2, 5, CV_32FC3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 5; ++x) xyz.at<cv::Vec3f>(y, x) = cv::Vec3f(0.1f, 0.2f, 1.0f + 0.1f * x);
  xyz.at<cv::Vec3f>(0, 0) = cv::Vec3f(0, 0, 0);
  xyz.at<cv::Vec3f>(0, 4) = cv::Vec3f(NAN, 0, 9);
  xyz.at<cv::Vec3f>(1, 4) = cv::Vec3f(0, 0, INFINITY);
  const lsfa::ValueRange r = lsfa::measured_z_range(xyz);
  EXPECT_FLOAT_EQ(r.low, 1.0f);   // (1, 0)
  EXPECT_FLOAT_EQ(r.high, 1.3f);  // x = 3: the x = 4 points are not measured
  for (lsfa::ChannelOrder order : {lsfa::ChannelOrder::kRgb, lsfa::ChannelOrder::kBgr}) {
    const cv::Mat view = lsfa::depth_view(xyz, r, lsfa::Colormap::kTurbo, order);
    ASSERT_EQ(view.type(), CV_8UC3);
    cv::Mat index(2, 5, CV_8UC1);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 5; ++x)
        index.at<uint8_t>(y, x) = lsfa::range_index(xyz.at<cv::Vec3f>(y, x)[2], r);
    const cv::Mat want = lsfa::apply_colormap(index, lsfa::Colormap::kTurbo, order);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 5; ++x) {
        const bool measured = !(y == 0 && (x == 0 || x == 4)) && !(y == 1 && x == 4);
        EXPECT_EQ(view.at<cv::Vec3b>(y, x),
                  measured ? want.at<cv::Vec3b>(y, x) : cv::Vec3b(0, 0, 0))
            << x << "," << y;
      }
  }
  // No measurement at all: an empty range, and an all-black picture.
  const cv::Mat none = cv::Mat::zeros(3, 3, CV_32FC3);
  EXPECT_EQ(lsfa::measured_z_range(none).low, 0.0f);
  EXPECT_EQ(lsfa::measured_z_range(none).high, 0.0f);
  EXPECT_EQ(cv::countNonZero(
                lsfa::depth_view(none, {0, 0}, lsfa::Colormap::kJet, lsfa::ChannelOrder::kRgb)
                    .reshape(1)),
            0);
  EXPECT_THROW(lsfa::depth_view(cv::Mat::zeros(2, 2, CV_32FC1), {0, 1}, lsfa::Colormap::kJet,
                                lsfa::ChannelOrder::kRgb),
               lsfa::Error);
}
