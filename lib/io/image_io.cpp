#include "lsfa/io/image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <climits>

#include "lsfa/core/error.h"
#include "lsfa/io/atomic_file.h"
#include "lsfa/io/image_header.h"

namespace lsfa {

namespace {

std::string describe(const cv::Mat &m) {
  return cv::typeToString(m.type());
}

}  // namespace

cv::Mat decode_image(const std::string &bytes, int flags, const std::string &what) {
  check_image_header(bytes, what);
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    throw Error("cannot decode image " + what + ": file larger than 2 GiB");
  cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char *>(bytes.data()));
  cv::Mat img;
  try {
    img = cv::imdecode(buf, flags);
  } catch (const cv::Exception &e) {
    throw Error("cannot decode image " + what + ": " + e.what());
  }
  if (img.empty()) throw Error("cannot decode image " + what + " (not an image or unsupported)");
  return img;
}

cv::Mat read_image_file(const std::string &path, int flags) {
  return decode_image(read_file(path), flags, path);  // read_file names the path when missing
}

void write_image_atomic(const std::string &path, const std::string &ext, const cv::Mat &image,
                        const std::vector<int> &params) {
  std::vector<uchar> buf;
  bool ok = false;
  try {
    ok = cv::imencode(ext, image, buf, params);
  } catch (const cv::Exception &e) {
    throw Error("cannot encode " + path + ": " + e.what());
  }
  if (!ok) throw Error("cannot encode " + path + " as " + ext);
  write_file_atomic(path, std::string(buf.begin(), buf.end()));
}

cv::Mat read_rgb_png(const std::string &path) {
  cv::Mat img = read_image_file(path, cv::IMREAD_UNCHANGED);
  if (img.depth() == CV_16U) img.convertTo(img, CV_8U, 1.0 / 257.0);
  if (img.depth() != CV_8U)
    throw Error("colour image " + path + " has unsupported " + describe(img));
  cv::Mat rgb;
  switch (img.channels()) {
    case 1:
      cv::cvtColor(img, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 3:
      cv::cvtColor(img, rgb, cv::COLOR_BGR2RGB);
      break;
    case 4:
      cv::cvtColor(img, rgb, cv::COLOR_BGRA2RGB);
      break;
    default:
      throw Error("colour image " + path + " has unsupported " + describe(img));
  }
  return rgb;
}

void write_rgb_png(const std::string &path, const cv::Mat &rgb) {
  if (rgb.type() != CV_8UC3)
    throw Error("cannot write " + path + ": RGB image must be CV_8UC3, got " + describe(rgb));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  write_image_atomic(path, ".png", bgr);
}

cv::Mat read_mask_png(const std::string &path) {
  cv::Mat img = read_image_file(path, cv::IMREAD_UNCHANGED);
  if (img.depth() != CV_8U && img.depth() != CV_16U)
    throw Error("mask " + path + " has unsupported " + describe(img));
  cv::Mat any = cv::Mat::zeros(img.size(), CV_8UC1);
  std::vector<cv::Mat> channels;
  cv::split(img, channels);
  for (const auto &c : channels) {
    cv::Mat positive = c > 0;  // CV_8UC1 with 255 where true
    any |= positive;
  }
  return any;
}

void write_mask_png(const std::string &path, const cv::Mat &mask) {
  if (mask.type() != CV_8UC1)
    throw Error("cannot write " + path + ": mask must be CV_8UC1, got " + describe(mask));
  write_image_atomic(path, ".png", mask);
}

cv::Mat read_depth_png(const std::string &path) {
  cv::Mat img = read_image_file(path, cv::IMREAD_UNCHANGED);
  if (img.type() != CV_16UC1)
    throw Error("depth image " + path + " must be 16-bit single-channel, got " + describe(img));
  return img;
}

void write_depth_png(const std::string &path, const cv::Mat &depth16) {
  if (depth16.type() != CV_16UC1)
    throw Error("cannot write " + path + ": depth must be CV_16UC1, got " + describe(depth16));
  write_image_atomic(path, ".png", depth16);
}

}  // namespace lsfa
