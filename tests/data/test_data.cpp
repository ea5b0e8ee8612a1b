// Data I/O: PNG/TIFF readers and writers against tifffile/PIL, depth camera geometry, MVTec 3D-AD
// and Eyecandies indexing and loading.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <opencv2/imgcodecs.hpp>

#include "lsfa/core/error.h"
#include "lsfa/data/dataset.h"
#include "lsfa/data/depth_camera.h"
#include "lsfa/data/eyecandies.h"
#include "lsfa/data/mvtec_dataset.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"
#include "test_util.h"

namespace fs = std::filesystem;
using lsfa::test::run_python;
using lsfa::test::shell_quote;
using lsfa::test::TempDir;

namespace {

// Same pattern as tests/python/data_fixtures.py cloud_pattern().
cv::Mat cloud_pattern(int h, int w) {
  cv::Mat m(h, w, CV_32FC3);
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u)
      for (int c = 0; c < 3; ++c)
        m.at<cv::Vec3f>(v, u)[c] = static_cast<float>(((v * w + u) * 3 + c) * 0.001 - 1.5);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  m.at<cv::Vec3f>(0, 0) = cv::Vec3f(nan, nan, nan);
  m.at<cv::Vec3f>(1, 1) = cv::Vec3f(0, 0, 0);
  m.at<cv::Vec3f>(0, 1) = cv::Vec3f(1e-30f, -3.4e38f, std::numeric_limits<float>::infinity());
  return m;
}

cv::Mat map_pattern(int h, int w) {
  cv::Mat m(h, w, CV_32FC1);
  for (int v = 0; v < h; ++v)
    for (int u = 0; u < w; ++u) m.at<float>(v, u) = static_cast<float>((v * w + u) * 0.25 - 3.0);
  m.at<float>(0, 0) = std::numeric_limits<float>::quiet_NaN();
  return m;
}

// Bit-exact equality, NaN equal to NaN.
bool same_floats(const cv::Mat &a, const cv::Mat &b) {
  if (a.type() != b.type() || a.size() != b.size()) return false;
  for (int v = 0; v < a.rows; ++v) {
    const float *pa = a.ptr<float>(v), *pb = b.ptr<float>(v);
    for (int i = 0; i < a.cols * a.channels(); ++i) {
      if (std::isnan(pa[i]) && std::isnan(pb[i])) continue;
      if (pa[i] != pb[i]) return false;
    }
  }
  return true;
}

void expect_error_mentions(const std::function<void()> &f, const std::string &needle) {
  try {
    f();
    FAIL() << "expected lsfa::Error mentioning " << needle;
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::string py_args(const std::string &path, int h, int w) {
  return shell_quote(path) + " " + std::to_string(h) + " " + std::to_string(w);
}

}  // namespace

TEST(TiffIo, CppWrittenCloudReadsExactlyInTifffile) {
  TempDir dir;
  const std::string path = dir.file("cloud.tiff");
  lsfa::write_xyz_tiff(path, cloud_pattern(7, 5));
  std::string out;
  EXPECT_EQ(run_python("data_fixtures.py", "check_xyz " + py_args(path, 7, 5), &out), 0) << out;
}

TEST(TiffIo, TifffileWrittenCloudReadsInXyzOrder) {
  TempDir dir;
  const std::string path = dir.file("cloud.tiff");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "write_xyz " + py_args(path, 6, 9), &out), 0) << out;
  cv::Mat xyz = lsfa::read_xyz_tiff(path);
  ASSERT_EQ(xyz.type(), CV_32FC3);
  EXPECT_TRUE(same_floats(xyz, cloud_pattern(6, 9)));
  // Channel order spelled out: x < y < z in the pattern away from the special pixels.
  cv::Vec3f p = xyz.at<cv::Vec3f>(2, 3);
  EXPECT_FLOAT_EQ(p[0], static_cast<float>(((2 * 9 + 3) * 3 + 0) * 0.001 - 1.5));
  EXPECT_FLOAT_EQ(p[2], static_cast<float>(((2 * 9 + 3) * 3 + 2) * 0.001 - 1.5));
}

TEST(TiffIo, PlanarCloudIsRefusedClearly) {
  // PlanarConfiguration 2 (x, y and z as separate planes) used to decode into scrambled points
  // without an error.
  TempDir dir;
  const std::string path = dir.file("planar.tiff");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "write_xyz_planar " + py_args(path, 6, 9), &out), 0)
      << out;
  expect_error_mentions([&] { lsfa::read_xyz_tiff(path); }, "planar TIFF (PlanarConfiguration 2");
  expect_error_mentions([&] { lsfa::read_xyz_tiff(path); }, "planar.tiff");
}

TEST(ImageIo, HeadersClaimingHugeImagesAreRefusedBeforeDecoding) {
  TempDir dir;
  lsfa::write_depth_png(dir.file("d.png"), cv::Mat(3, 4, CV_16UC1, cv::Scalar(7)));
  std::string png = lsfa::read_file(dir.file("d.png"));
  png.replace(16, 8, std::string("\x00\x10\x00\x00\x00\x10\x00\x00", 8));  // 2^20 x 2^20
  lsfa::write_file_atomic(dir.file("huge.png"), png);
  expect_error_mentions([&] { lsfa::read_depth_png(dir.file("huge.png")); }, "exceeds the limit");
  lsfa::write_file_atomic(dir.file("short.tiff"), std::string("II*\x00\xff\xff\x00\x00", 8));
  expect_error_mentions([&] { lsfa::read_xyz_tiff(dir.file("short.tiff")); }, "truncated");
}

TEST(ImageIo, OnlyPngAndTiffReachTheDecoder) {
  // Found by fuzz_image: 143 bytes with "DICM" at offset 128 made cv::imdecode hand the file to
  // Debian's GDCM (DICOM) decoder, which aborted the process on an assertion. Any other format is
  // now refused before decoding, naming the file.
  TempDir dir;
  std::string dicom(143, '\0');
  dicom.replace(0, 4, "\xfa\xff\x4f\xff");
  dicom.replace(128, 4, "DICM");
  lsfa::write_file_atomic(dir.file("x.tiff"), dicom);
  expect_error_mentions([&] { lsfa::read_xyz_tiff(dir.file("x.tiff")); },
                        "neither a PNG nor a TIFF");
  expect_error_mentions([&] { lsfa::read_float_tiff(dir.file("x.tiff")); }, "x.tiff");
  lsfa::write_file_atomic(dir.file("x.png"), dicom);
  expect_error_mentions([&] { lsfa::read_rgb_png(dir.file("x.png")); }, "neither a PNG nor a TIFF");
  expect_error_mentions([&] { lsfa::read_depth_png(dir.file("x.png")); }, "x.png");
  // A JPEG named .png is refused the same way (it would decode, silently, before).
  std::vector<uchar> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)), jpeg));
  lsfa::write_file_atomic(dir.file("j.png"), std::string(jpeg.begin(), jpeg.end()));
  expect_error_mentions([&] { lsfa::read_rgb_png(dir.file("j.png")); }, "neither a PNG nor a TIFF");
  // BigTIFF is TIFF and still reads; with "DICM" at byte 128 it goes to the TIFF decoder (which
  // comes first in OpenCV's order), so it reads or fails with an error, never aborts.
  const std::string big = dir.file("big.tiff");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "write_map_bigtiff " + py_args(big, 5, 8), &out), 0)
      << out;
  EXPECT_TRUE(same_floats(lsfa::read_float_tiff(big), map_pattern(5, 8)));
  std::string bytes = lsfa::read_file(big);
  ASSERT_GT(bytes.size(), 132u);
  bytes.replace(128, 4, "DICM");
  lsfa::write_file_atomic(dir.file("big_dicm.tiff"), bytes);
  try {
    EXPECT_EQ(lsfa::read_float_tiff(dir.file("big_dicm.tiff")).size(), cv::Size(8, 5));
  } catch (const lsfa::Error &e) {
    EXPECT_NE(std::string(e.what()).find("big_dicm.tiff"), std::string::npos) << e.what();
  }
}

TEST(TiffIo, CloudRoundTripInCpp) {
  TempDir dir;
  cv::Mat a = cloud_pattern(4, 11);
  lsfa::write_xyz_tiff(dir.file("a.tiff"), a);
  EXPECT_TRUE(same_floats(lsfa::read_xyz_tiff(dir.file("a.tiff")), a));
}

TEST(TiffIo, FloatMapsBothDirections) {
  TempDir dir;
  std::string out;
  lsfa::write_float_tiff(dir.file("m.tiff"), map_pattern(5, 8));
  EXPECT_EQ(run_python("data_fixtures.py", "check_map " + py_args(dir.file("m.tiff"), 5, 8), &out),
            0)
      << out;
  for (const char *d3 : {"0", "1"}) {
    const std::string p = dir.file(std::string("p") + d3 + ".tiff");
    ASSERT_EQ(run_python("data_fixtures.py", "write_map " + py_args(p, 6, 3) + " " + d3, &out), 0)
        << out;
    cv::Mat m = lsfa::read_float_tiff(p);
    EXPECT_TRUE(same_floats(m, map_pattern(6, 3))) << "HxWx1=" << d3;
  }
}

TEST(TiffIo, ClearErrors) {
  TempDir dir;
  expect_error_mentions([&] { lsfa::read_xyz_tiff(dir.file("missing.tiff")); }, "missing.tiff");
  lsfa::write_float_tiff(dir.file("one.tiff"), map_pattern(3, 3));
  expect_error_mentions([&] { lsfa::read_xyz_tiff(dir.file("one.tiff")); }, "3 channels");
  lsfa::write_xyz_tiff(dir.file("three.tiff"), cloud_pattern(3, 3));
  expect_error_mentions([&] { lsfa::read_float_tiff(dir.file("three.tiff")); }, "1 channel");
  lsfa::write_file_atomic(dir.file("junk.tiff"), "not a tiff");
  expect_error_mentions([&] { lsfa::read_xyz_tiff(dir.file("junk.tiff")); }, "junk.tiff");
  expect_error_mentions([&] { lsfa::write_xyz_tiff(dir.file("x.tiff"), cv::Mat(2, 2, CV_8UC3)); },
                        "CV_32FC3");
  expect_error_mentions(
      [&] { lsfa::write_float_tiff(dir.file("x.tiff"), cv::Mat(2, 2, CV_64FC1)); }, "CV_32FC1");
  cv::Mat u16(2, 2, CV_16UC3, cv::Scalar(1, 2, 3));
  cv::imwrite(dir.file("u16.tiff"), u16);
  expect_error_mentions([&] { lsfa::read_xyz_tiff(dir.file("u16.tiff")); }, "float32");
}

TEST(ImageIo, RgbIsInRgbOrderAndRoundTrips) {
  TempDir dir;
  cv::Mat bgr(2, 3, CV_8UC3, cv::Scalar(10, 20, 30));  // OpenCV order: B=10, G=20, R=30
  cv::imwrite(dir.file("c.png"), bgr);
  cv::Mat rgb = lsfa::read_rgb_png(dir.file("c.png"));
  ASSERT_EQ(rgb.type(), CV_8UC3);
  EXPECT_EQ(rgb.at<cv::Vec3b>(1, 2), cv::Vec3b(30, 20, 10));
  lsfa::write_rgb_png(dir.file("d.png"), rgb);
  cv::Mat back = cv::imread(dir.file("d.png"), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(back.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(cv::norm(lsfa::read_rgb_png(dir.file("d.png")), rgb, cv::NORM_INF), 0);
  expect_error_mentions([&] { lsfa::read_rgb_png(dir.file("none.png")); }, "none.png");
}

TEST(ImageIo, ClassIdCodedMaskCountsAsDefect) {
  TempDir dir;
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "write_mask " + shell_quote(dir.file("m.png")), &out), 0)
      << out;
  cv::Mat m = lsfa::read_mask_png(dir.file("m.png"));
  ASSERT_EQ(m.type(), CV_8UC1);
  EXPECT_EQ(cv::countNonZero(m), 4);
  EXPECT_EQ(m.at<uint8_t>(0, 0), 255);
  EXPECT_EQ(m.at<uint8_t>(1, 2), 255);
  EXPECT_EQ(m.at<uint8_t>(2, 3), 255);
  EXPECT_EQ(m.at<uint8_t>(4, 5), 255);
  EXPECT_EQ(m.at<uint8_t>(0, 1), 0);
}

TEST(ImageIo, DepthPngRoundTripAndTypeCheck) {
  TempDir dir;
  cv::Mat d(3, 4, CV_16UC1);
  for (int i = 0; i < 12; ++i) d.at<uint16_t>(i / 4, i % 4) = static_cast<uint16_t>(i * 5000 + 7);
  lsfa::write_depth_png(dir.file("d.png"), d);
  EXPECT_EQ(cv::norm(lsfa::read_depth_png(dir.file("d.png")), d, cv::NORM_INF), 0);
  cv::imwrite(dir.file("eight.png"), cv::Mat(2, 2, CV_8UC1, cv::Scalar(9)));
  expect_error_mentions([&] { lsfa::read_depth_png(dir.file("eight.png")); }, "16-bit");
}

TEST(DepthCamera, KnownAnswers) {
  cv::Mat d = cv::Mat::zeros(3, 4, CV_16UC1);
  d.at<uint16_t>(2, 3) = 500;  // u=3, v=2
  d.at<uint16_t>(0, 0) = 1000;
  lsfa::Intrinsics k{100.0, 200.0, 1.5, 1.0};
  cv::Mat xyz = lsfa::depth_to_cloud(d, 0.001, k);
  ASSERT_EQ(xyz.type(), CV_32FC3);
  cv::Vec3f p = xyz.at<cv::Vec3f>(2, 3);
  EXPECT_FLOAT_EQ(p[2], 0.5f);
  EXPECT_FLOAT_EQ(p[0], static_cast<float>((3 - 1.5) * 0.5 / 100.0));  // 0.0075
  EXPECT_FLOAT_EQ(p[1], static_cast<float>((2 - 1.0) * 0.5 / 200.0));  // 0.0025
  cv::Vec3f q = xyz.at<cv::Vec3f>(0, 0);
  EXPECT_FLOAT_EQ(q[0], -0.015f);
  EXPECT_FLOAT_EQ(q[1], -0.005f);
  EXPECT_FLOAT_EQ(q[2], 1.0f);
  EXPECT_EQ(xyz.at<cv::Vec3f>(1, 1), cv::Vec3f(0, 0, 0));
}

TEST(DepthCamera, RoundTripThroughCloud) {
  cv::Mat d(40, 30, CV_16UC1);
  cv::RNG rng(3);
  rng.fill(d, cv::RNG::UNIFORM, 0, 65536);
  d.at<uint16_t>(5, 5) = 0;
  lsfa::Intrinsics k{450.0, 455.0, 14.5, 19.5};
  cv::Mat xyz = lsfa::depth_to_cloud(d, 0.0001, k);
  EXPECT_EQ(cv::norm(lsfa::cloud_to_depth(xyz, 0.0001), d, cv::NORM_INF), 0);
  EXPECT_THROW(lsfa::cloud_to_depth(xyz, 0.00001), lsfa::Error);  // beyond 16 bits
  EXPECT_THROW(lsfa::depth_to_cloud(d, 0.0, k), lsfa::Error);
  EXPECT_THROW(lsfa::depth_to_cloud(cv::Mat(2, 2, CV_8UC1), 0.001, k), lsfa::Error);
}

TEST(DepthCamera, ScaledIntrinsicsKeepPixelCentres) {
  lsfa::Intrinsics k{600, 500, 319.5, 239.5};  // exact centre of 640x480
  lsfa::Intrinsics s = k.scaled(640, 480, 320, 240);
  EXPECT_DOUBLE_EQ(s.fx, 300);
  EXPECT_DOUBLE_EQ(s.fy, 250);
  EXPECT_DOUBLE_EQ(s.cx, 159.5);  // still the exact centre of 320x240
  EXPECT_DOUBLE_EQ(s.cy, 119.5);
  // A point projects to the same relative position before and after scaling.
  const double X = 0.03, Y = -0.02, Z = 0.5;
  const double u = k.fx * X / Z + k.cx, us = s.fx * X / Z + s.cx;
  EXPECT_NEAR((us + 0.5) / 320, (u + 0.5) / 640, 1e-12);
  (void)Y;
  EXPECT_THROW(k.scaled(0, 480, 320, 240), lsfa::Error);
}

TEST(DepthCamera, IntrinsicsJsonRoundTripAndErrors) {
  TempDir dir;
  lsfa::DepthCamera cam{{612.5, 611.25, 318.0, 241.75}, 640, 480, 0.0001};
  lsfa::write_camera_json(dir.file("k.json"), cam);
  lsfa::DepthCamera back = lsfa::read_camera_json(dir.file("k.json"));
  EXPECT_EQ(back.intrinsics.fx, 612.5);
  EXPECT_EQ(back.intrinsics.fy, 611.25);
  EXPECT_EQ(back.intrinsics.cx, 318.0);
  EXPECT_EQ(back.intrinsics.cy, 241.75);
  EXPECT_EQ(back.width, 640);
  EXPECT_EQ(back.height, 480);
  EXPECT_EQ(back.depth_scale, 0.0001);
  lsfa::write_file_atomic(dir.file("bad.json"), R"({"fx": 1, "fy": 1, "cx": 0, "width": 2,
      "height": 2, "depth_scale": 0.001})");
  expect_error_mentions([&] { lsfa::read_camera_json(dir.file("bad.json")); }, "\"cy\"");
  lsfa::write_file_atomic(dir.file("bad2.json"), "{");
  expect_error_mentions([&] { lsfa::read_camera_json(dir.file("bad2.json")); }, "bad2.json");
  // A width of 1e20 used to be cast to int (undefined behaviour, a negative width) and accepted.
  for (const char *w : {"1e20", "-3", "2.5"}) {
    lsfa::write_file_atomic(dir.file("big.json"), std::string(R"({"fx": 1, "fy": 1, "cx": 0,
        "cy": 0, "height": 2, "depth_scale": 0.001, "width": )") +
                                                      w + "}");
    expect_error_mentions([&] { lsfa::read_camera_json(dir.file("big.json")); },
                          "width and height must be integers from 1 to");
  }
}

namespace {

// A two-sample MVTec-layout category written with the C++ writers.
void write_mvtec_fixture(const std::string &root) {
  auto sample = [&](const std::string &split, const std::string &defect, const std::string &id,
                    bool with_gt) {
    fs::path d = fs::path(root) / "cat" / split / defect;
    fs::create_directories(d / "rgb");
    fs::create_directories(d / "xyz");
    lsfa::write_rgb_png((d / "rgb" / (id + ".png")).string(),
                        cv::Mat(4, 5, CV_8UC3, cv::Scalar(1, 2, 3)));
    lsfa::write_xyz_tiff((d / "xyz" / (id + ".tiff")).string(), cloud_pattern(4, 5));
    if (with_gt) {
      fs::create_directories(d / "gt");
      cv::Mat gt = cv::Mat::zeros(4, 5, CV_8UC1);
      gt.at<uint8_t>(1, 1) = 255;
      lsfa::write_mask_png((d / "gt" / (id + ".png")).string(), gt);
    }
  };
  sample("train", "good", "001", false);
  sample("train", "good", "000", false);
  sample("test", "good", "000", false);
  sample("test", "dent", "000", true);
}

}  // namespace

TEST(MvtecDataset, IndexesAndLoads) {
  TempDir dir;
  write_mvtec_fixture(dir.path());
  fs::create_directories(dir.file("not_a_category/other"));
  EXPECT_EQ(lsfa::list_categories(dir.path()), std::vector<std::string>{"cat"});
  auto train = lsfa::index_split(dir.path(), "cat", "train");
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(train[0].id, "000");
  EXPECT_EQ(train[1].id, "001");
  EXPECT_TRUE(train[0].gt_path.empty());
  auto test = lsfa::index_split(dir.path(), "cat", "test");
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].defect, "dent");  // sorted by defect then id
  EXPECT_EQ(test[1].defect, "good");
  lsfa::Sample bad = lsfa::load_sample(test[0]);
  EXPECT_EQ(bad.rgb.at<cv::Vec3b>(0, 0), cv::Vec3b(1, 2, 3));
  EXPECT_TRUE(same_floats(bad.xyz, cloud_pattern(4, 5)));
  EXPECT_EQ(cv::countNonZero(bad.gt), 1);
  EXPECT_EQ(bad.defect, "dent");
  lsfa::Sample good = lsfa::load_sample(test[1]);
  ASSERT_EQ(good.gt.type(), CV_8UC1);
  EXPECT_EQ(good.gt.size(), cv::Size(5, 4));
  EXPECT_EQ(cv::countNonZero(good.gt), 0);
  EXPECT_TRUE(lsfa::load_sample(train[0]).gt.empty());
}

TEST(MvtecDataset, CloudWithoutAnyMeasuredPointIsRefused) {
  // All-NaN and all-zero clouds used to load, give empty 3D features and let `lsfa features`
  // write an empty result with exit status 0 and no word.
  TempDir dir;
  lsfa::DatasetEntry e;
  e.rgb_path = dir.file("000.png");
  lsfa::write_rgb_png(e.rgb_path, cv::Mat(6, 8, CV_8UC3, cv::Scalar(50, 60, 70)));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const auto &[name, fill] : {std::pair{"nan.tiff", nan}, std::pair{"zero.tiff", 0.f}}) {
    e.xyz_path = dir.file(name);
    lsfa::write_xyz_tiff(e.xyz_path, cv::Mat(6, 8, CV_32FC3, cv::Scalar::all(fill)));
    expect_error_mentions([&] { lsfa::load_sample(e); },
                          std::string(name) + " has no measured point");
    std::string out;
    EXPECT_NE(lsfa::test::run_lsfa("features --rgb " + shell_quote(e.rgb_path) + " --xyz " +
                                       shell_quote(e.xyz_path) + " --out " +
                                       shell_quote(dir.file("f.safetensors")),
                                   &out),
              0)
        << out;
    EXPECT_NE(out.find("000.png"), std::string::npos) << out;  // names the sample
  }
  // One measured point is enough.
  cv::Mat one(6, 8, CV_32FC3, cv::Scalar::all(nan));
  one.at<cv::Vec3f>(2, 3) = cv::Vec3f(0.01f, 0.02f, 0.4f);
  e.xyz_path = dir.file("one.tiff");
  lsfa::write_xyz_tiff(e.xyz_path, one);
  EXPECT_NO_THROW(lsfa::load_sample(e));
}

TEST(MvtecDataset, ErrorsNameTheProblem) {
  TempDir dir;
  write_mvtec_fixture(dir.path());
  expect_error_mentions([&] { lsfa::index_split(dir.path(), "cat", "validation"); }, "validation");
  expect_error_mentions([&] { lsfa::index_split(dir.path(), "nope", "train"); }, "nope");
  expect_error_mentions([&] { lsfa::index_split(dir.path(), "cat", "tran"); }, "tran");
  fs::remove(dir.file("cat/train/good/xyz/001.tiff"));
  expect_error_mentions([&] { lsfa::index_split(dir.path(), "cat", "train"); }, "001.tiff");
  fs::remove(dir.file("cat/test/dent/gt/000.png"));
  expect_error_mentions([&] { lsfa::index_split(dir.path(), "cat", "test"); }, "gt/000.png");
  expect_error_mentions([&] { lsfa::list_categories(dir.file("absent")); }, "absent");
}

TEST(Eyecandies, MatchesReferenceLoaderOnPythonFixture) {
  TempDir dir;
  const std::string cat = dir.file("CandyCane");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "eyecandies " + shell_quote(cat), &out), 0) << out;
  auto train = lsfa::index_eyecandies(cat, "train");
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(lsfa::index_eyecandies(cat, "validation").size(), 1u);
  auto test = lsfa::index_eyecandies(cat, "test");
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].category, "CandyCane");
  for (const auto &[split, dirname, entries] :
       {std::make_tuple("train", "train", train), std::make_tuple("test", "test_public", test)}) {
    for (const auto &e : entries) {
      const std::string ref = cat + "/" + dirname + "_" + e.id;
      lsfa::EyecandiesSample world = lsfa::load_eyecandies(e);
      cv::Mat depth_ref = lsfa::read_float_tiff(ref + "_depth.tiff");
      EXPECT_LE(cv::norm(world.depth, depth_ref, cv::NORM_INF), 1e-6) << split << e.id;
      EXPECT_LE(cv::norm(world.sample.xyz, lsfa::read_xyz_tiff(ref + "_world.tiff"), cv::NORM_INF),
                2e-6)
          << split << e.id;
      lsfa::EyecandiesOptions cam_opts;
      cam_opts.world_frame = false;
      lsfa::EyecandiesSample cam = lsfa::load_eyecandies(e, cam_opts);
      EXPECT_LE(cv::norm(cam.sample.xyz, lsfa::read_xyz_tiff(ref + "_camera.tiff"), cv::NORM_INF),
                2e-6);
      EXPECT_NEAR(world.pose(2, 3), 0.4, 1e-12);
      EXPECT_EQ(world.sample.rgb.size(), cv::Size(32, 24));
    }
  }
  lsfa::EyecandiesSample bad = lsfa::load_eyecandies(test[1]);
  EXPECT_EQ(bad.sample.defect, "bad");
  EXPECT_EQ(cv::countNonZero(bad.sample.gt), 15);
  EXPECT_EQ(lsfa::load_eyecandies(test[0]).sample.defect, "good");
  EXPECT_EQ(bad.sample.split, "test");
  fs::remove(cat + "/train/data/001_pose.txt");
  expect_error_mentions([&] { lsfa::index_eyecandies(cat, "train"); }, "001_pose.txt");
  expect_error_mentions([&] { lsfa::index_eyecandies(dir.file("none"), "train"); }, "none");
}

TEST(Eyecandies, RgbIsImage4InRgbOrder) {
  TempDir dir;
  const std::string cat = dir.file("Marshmallow");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "eyecandies " + shell_quote(cat), &out), 0) << out;
  auto val = lsfa::index_eyecandies(cat, "validation");
  ASSERT_EQ(val.size(), 1u);
  lsfa::Sample s = lsfa::load_eyecandies(val[0]).sample;
  // The fixture saved image_4 through PIL (R,G,B); compare with the same file read by PIL order.
  cv::Mat bgr = cv::imread(val[0].file("image_4.png"), cv::IMREAD_COLOR);
  EXPECT_EQ(s.rgb.at<cv::Vec3b>(3, 7)[0], bgr.at<cv::Vec3b>(3, 7)[2]);
  EXPECT_EQ(s.rgb.at<cv::Vec3b>(3, 7)[2], bgr.at<cv::Vec3b>(3, 7)[0]);
  EXPECT_EQ(s.split, "validation");
}

TEST(DatasetLayout, DetectsBothLayoutsAndIndexesEyecandiesAsDatasetEntries) {
  for (auto l : {lsfa::DatasetLayout::kAuto, lsfa::DatasetLayout::kMvtec3d,
                 lsfa::DatasetLayout::kEyecandies})
    EXPECT_EQ(lsfa::parse_dataset_layout(lsfa::dataset_layout_name(l)), l);
  TempDir dir;
  write_mvtec_fixture(dir.path());
  const std::string cat = dir.file("CandyCane");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "eyecandies " + shell_quote(cat), &out), 0) << out;
  // Both layouts side by side under one root.
  EXPECT_EQ(lsfa::list_categories(dir.path()), (std::vector<std::string>{"CandyCane", "cat"}));
  EXPECT_EQ(lsfa::detect_dataset_layout(dir.path(), "cat"), lsfa::DatasetLayout::kMvtec3d);
  EXPECT_EQ(lsfa::detect_dataset_layout(dir.path(), "CandyCane"), lsfa::DatasetLayout::kEyecandies);
  // MVTec through index_dataset: the same entries as index_split.
  const auto mv = lsfa::index_dataset(dir.path(), "cat", "test");
  const auto mv_ref = lsfa::index_split(dir.path(), "cat", "test");
  ASSERT_EQ(mv.size(), mv_ref.size());
  for (size_t i = 0; i < mv.size(); ++i) {
    EXPECT_EQ(mv[i].rgb_path, mv_ref[i].rgb_path);
    EXPECT_EQ(mv[i].layout, lsfa::DatasetLayout::kMvtec3d);
  }
  EXPECT_FALSE(
      lsfa::dataset_has_split(dir.path(), "cat", "validation", lsfa::DatasetLayout::kAuto));

  // Eyecandies: splits train / val / test_public, labels from the masks, bad first.
  EXPECT_TRUE(
      lsfa::dataset_has_split(dir.path(), "CandyCane", "validation", lsfa::DatasetLayout::kAuto));
  EXPECT_EQ(lsfa::index_dataset(dir.path(), "CandyCane", "train").size(), 2u);
  EXPECT_EQ(lsfa::index_dataset(dir.path(), "CandyCane", "validation").size(), 1u);
  const auto test =
      lsfa::index_dataset(dir.path(), "CandyCane", "test", lsfa::DatasetLayout::kEyecandies);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].defect, "bad");
  EXPECT_EQ(test[0].id, "001");
  EXPECT_EQ(test[1].defect, "good");
  EXPECT_EQ(test[1].id, "000");
  const auto ref = lsfa::index_eyecandies(cat, "test");
  for (const auto &e : test) {
    EXPECT_EQ(e.layout, lsfa::DatasetLayout::kEyecandies);
    EXPECT_EQ(e.category, "CandyCane");
    EXPECT_EQ(e.split, "test");
    const lsfa::EyecandiesEntry &r = ref[e.id == "000" ? 0 : 1];
    EXPECT_EQ(e.rgb_path, r.file("image_4.png"));
    EXPECT_EQ(e.gt_path, r.file("mask.png"));
    // load_sample reads an Eyecandies entry as the Eyecandies loader does.
    const lsfa::Sample s = lsfa::load_sample(e);
    const lsfa::Sample want = lsfa::load_eyecandies(r).sample;
    EXPECT_TRUE(same_floats(s.xyz, want.xyz)) << e.id;
    EXPECT_EQ(cv::norm(s.rgb, want.rgb, cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::countNonZero(s.gt), e.defect == "bad" ? 15 : 0);
    EXPECT_EQ(s.defect, e.defect);
    EXPECT_EQ(s.category, "CandyCane");
  }
}

TEST(DatasetLayout, ErrorsNameTheProblem) {
  TempDir dir;
  write_mvtec_fixture(dir.path());
  // A missing category: named, with the categories that exist.
  expect_error_mentions([&] { lsfa::detect_dataset_layout(dir.path(), "nope"); },
                        "nope does not exist (categories in " + dir.path() + ": cat)");
  expect_error_mentions([&] { lsfa::index_dataset(dir.path(), "nope", "train"); }, "nope");
  expect_error_mentions([&] { lsfa::detect_dataset_layout(dir.file("absent"), "cat"); },
                        "absent is not a directory");
  // A folder of neither layout.
  fs::create_directories(dir.file("odd/images"));
  fs::create_directories(dir.file("odd/train/good"));  // no rgb/ inside
  expect_error_mentions([&] { lsfa::detect_dataset_layout(dir.path(), "odd"); },
                        "unrecognised layout");
  expect_error_mentions([&] { lsfa::index_dataset(dir.path(), "odd", "train"); },
                        "test_public/data");
  // A layout named that the folder does not have.
  expect_error_mentions(
      [&] { lsfa::index_dataset(dir.path(), "cat", "train", lsfa::DatasetLayout::kEyecandies); },
      "does not have the Eyecandies layout");
  expect_error_mentions([&] { lsfa::parse_dataset_layout("mvtec"); },
                        "\"mvtec\" (expected auto, mvtec3d or eyecandies)");
  // Both layouts in one folder: ambiguous unless named.
  fs::create_directories(dir.file("cat/test_public/data"));
  expect_error_mentions([&] { lsfa::detect_dataset_layout(dir.path(), "cat"); }, "--layout");
  EXPECT_EQ(lsfa::index_dataset(dir.path(), "cat", "train", lsfa::DatasetLayout::kMvtec3d).size(),
            2u);
  // An Eyecandies test sample without its mask cannot be labelled.
  const std::string cat = dir.file("Eye");
  std::string out;
  ASSERT_EQ(run_python("data_fixtures.py", "eyecandies " + shell_quote(cat), &out), 0) << out;
  fs::remove(cat + "/test_public/data/000_mask.png");
  expect_error_mentions([&] { lsfa::index_dataset(dir.path(), "Eye", "test"); }, "000_mask.png");
}
