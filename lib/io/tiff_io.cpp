#include "lsfa/io/tiff_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "lsfa/core/error.h"
#include "lsfa/io/image_io.h"

namespace lsfa {

namespace {

// Uncompressed: OpenCV's default TIFF compression for float data is lossy.
const std::vector<int> kTiffParams = {cv::IMWRITE_TIFF_COMPRESSION, 1};

cv::Mat read_float_image(const std::string &path) {
  cv::Mat img = read_image_file(path, cv::IMREAD_UNCHANGED);
  if (img.depth() != CV_32F)
    throw Error("TIFF " + path + " must hold float32 values, got " + cv::typeToString(img.type()));
  return img;
}

}  // namespace

cv::Mat read_xyz_tiff(const std::string &path) {
  cv::Mat img = read_float_image(path);
  if (img.channels() != 3)
    throw Error("point cloud TIFF " + path + " must have 3 channels (x,y,z), got " +
                std::to_string(img.channels()));
  // OpenCV hands 3-channel TIFF data back in BGR convention, i.e. z,y,x: swap back to x,y,z.
  cv::Mat xyz;
  cv::cvtColor(img, xyz, cv::COLOR_BGR2RGB);
  return xyz;
}

void write_xyz_tiff(const std::string &path, const cv::Mat &xyz) {
  if (xyz.type() != CV_32FC3)
    throw Error("cannot write " + path + ": point cloud must be CV_32FC3, got " +
                cv::typeToString(xyz.type()));
  cv::Mat zyx;
  cv::cvtColor(xyz, zyx, cv::COLOR_RGB2BGR);
  write_image_atomic(path, ".tiff", zyx, kTiffParams);
}

cv::Mat read_float_tiff(const std::string &path) {
  cv::Mat img = read_float_image(path);
  if (img.channels() != 1)
    throw Error("float map TIFF " + path + " must have 1 channel, got " +
                std::to_string(img.channels()));
  return img;
}

void write_float_tiff(const std::string &path, const cv::Mat &map) {
  if (map.type() != CV_32FC1)
    throw Error("cannot write " + path + ": float map must be CV_32FC1, got " +
                cv::typeToString(map.type()));
  write_image_atomic(path, ".tiff", map, kTiffParams);
}

}  // namespace lsfa
