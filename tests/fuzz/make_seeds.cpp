// Writes seed corpora for the fuzz targets with the project's own writers, one directory per
// target under argv[1]: safetensors and bundle files, TIFF and PNG samples, intrinsics files,
// calibration caps strings and meta parameter records. tests/fuzz/make_seeds.py adds the files
// only Python writes (torch.save checkpoints, pickles, tifffile TIFFs).
#include <ATen/ATen.h>
#include <gst/gst.h>
#include <gst/lsfa/lsfa.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "lsfa/data/depth_camera.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/safetensors.h"
#include "lsfa/io/tiff_io.h"
#include "lsfa/model/bundle.h"

namespace fs = std::filesystem;

namespace {

std::string dir_of(const std::string &root, const std::string &target) {
  fs::create_directories(root + "/" + target);
  return root + "/" + target + "/";
}

// The image target reads its first byte as the reader to use.
void image_seed(const std::string &dir, const std::string &name, char reader,
                const std::string &file) {
  lsfa::write_file_atomic(dir + name, std::string(1, reader) + lsfa::read_file(file));
}

template <typename T>
void put(std::string &s, T v) {
  s.append(reinterpret_cast<const char *>(&v), sizeof v);
}

lsfa::ModelBundle tiny_bundle(bool fp16) {
  lsfa::ModelBundle b;
  b.extractor.preset = "small";
  b.extractor.groups = 8;
  b.extractor.group_size = 4;
  b.extractor_identity = "preset=small;rgb=random:1;points=random:1";
  b.method = "lsfa";
  b.created = "2026-12-01T00:00:00Z";
  b.calibration.image_threshold = 2;
  b.calibration.pixel_threshold = 3;
  b.calibration.rgb = {{1, 0.5, 10}, {0.5, 0.25, 100}};
  b.calibration.points = {{2, 1.5, 10}, {1.5, 1, 100}};
  b.training_json = R"({"epochs":1})";
  b.bank_fp16 = fp16;
  at::manual_seed(1);
  lsfa::ModalityModel rgb;
  rgb.adaptor = lsfa::Adaptor({8, 2, 2, 1e-6}, 1);
  rgb.bank = at::randn({3, 8});
  rgb.bank_source_size = 30;
  lsfa::ModalityModel pts = rgb;
  pts.adaptor = lsfa::Adaptor({8, 2, 2, 1e-6}, 2);
  b.rgb = rgb;
  b.points = pts;
  return b;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  gst_init(&argc, &argv);
  gst_lsfa_caps_init();

  std::string d = dir_of(root, "safetensors");
  lsfa::write_safetensors(d + "mixed.safetensors",
                          {{"w", at::arange(6, at::kFloat).reshape({2, 3})},
                           {"h", at::ones({2}, at::kHalf)},
                           {"i", at::arange(3, at::kLong)},
                           {"b", at::arange(2, at::kLong).eq(1)},
                           {"s", at::scalar_tensor(1.5, at::kDouble)}},
                          {{"format", "pt"}, {"note", "seed"}});
  lsfa::write_safetensors(d + "empty_tensor.safetensors", {{"e", at::zeros({0, 4})}});

  d = dir_of(root, "bundle");
  lsfa::save_bundle(d + "f32.lsfa", tiny_bundle(false));
  lsfa::save_bundle(d + "f16.lsfa", tiny_bundle(true));

  d = dir_of(root, "image");
  const std::string tmp = root + "/tmp-image";
  cv::Mat xyz(3, 4, CV_32FC3, cv::Scalar(0.1f, -0.2f, 0.5f));
  xyz.at<cv::Vec3f>(0, 0) = cv::Vec3f(NAN, NAN, NAN);
  lsfa::write_xyz_tiff(tmp, xyz);
  image_seed(d, "xyz.tiff", 0, tmp);
  lsfa::write_float_tiff(tmp, cv::Mat(3, 4, CV_32FC1, cv::Scalar(0.25f)));
  image_seed(d, "map.tiff", 1, tmp);
  lsfa::write_rgb_png(tmp, cv::Mat(3, 4, CV_8UC3, cv::Scalar(10, 20, 30)));
  image_seed(d, "rgb.png", 2, tmp);
  lsfa::write_mask_png(tmp, cv::Mat(3, 4, CV_8UC1, cv::Scalar(255)));
  image_seed(d, "mask.png", 3, tmp);
  lsfa::write_depth_png(tmp, cv::Mat(3, 4, CV_16UC1, cv::Scalar(1234)));
  image_seed(d, "depth.png", 4, tmp);
  fs::remove(tmp);

  d = dir_of(root, "depth_camera");
  lsfa::write_camera_json(d + "camera.json", {{612.5, 611.25, 318.0, 241.75}, 640, 480, 0.0001});
  std::string raw;
  for (double v : {600.0, 500.0, 1.5, 1.0, 0.001}) put(raw, v);
  put<uint8_t>(raw, 3);
  put<uint8_t>(raw, 2);
  put<int16_t>(raw, 8);
  put<int16_t>(raw, 6);
  for (int i = 0; i < 12; ++i) {
    put<uint16_t>(raw, static_cast<uint16_t>(i * 100));
    put<float>(raw, 0.1f * static_cast<float>(i));
  }
  lsfa::write_file_atomic(d + "frame.bin", raw);

  d = dir_of(root, "caps");
  GstLsfaDepthCalibration cal{};
  cal.flags = static_cast<GstLsfaCalibrationFlags>(GST_LSFA_CALIBRATION_HAS_DEPTH_SCALE |
                                                   GST_LSFA_CALIBRATION_HAS_INTRINSICS |
                                                   GST_LSFA_CALIBRATION_HAS_INTRINSICS_SIZE);
  cal.depth_scale = 0.001;
  cal.intrinsics = {600, 600, 319.5, 239.5};
  cal.intrinsics_width = 640;
  cal.intrinsics_height = 480;
  GstCaps *caps = gst_caps_from_string(GST_LSFA_DEPTH_CAPS);
  gst_lsfa_depth_calibration_to_caps(&cal, caps);
  gchar *text = gst_caps_to_string(caps);
  lsfa::write_file_atomic(d + "depth.caps", text);
  g_free(text);
  gst_caps_unref(caps);
  lsfa::write_file_atomic(d + "rgbd.caps", GST_LSFA_RGBD_CAPS);

  d = dir_of(root, "metas");
  std::string rec;
  put<uint32_t>(rec, 2);
  put<uint32_t>(rec, 2);
  put<uint16_t>(rec, 16);
  for (double v : {2.0, 2.0, 4.0, 4.0}) put(rec, v);
  for (uint8_t v : {7, 7, 15, 15}) put(rec, v);
  for (double v : {3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 2.1, 2.1}) put(rec, v);
  put<uint8_t>(rec, 0);
  put<uint32_t>(rec, 4);
  put<uint32_t>(rec, 3);
  put<uint64_t>(rec, 0);
  put<uint16_t>(rec, 24);
  for (double v : {600.0, 600.0, 1.5, 1.0, 0.001}) put(rec, v);
  put<uint16_t>(rec, 12);
  lsfa::write_file_atomic(d + "meta.bin", rec);
  return 0;
}
