// Float TIFF files: organized point clouds (MVTec 3D-AD xyz, H x W x 3 float32, pixel-interleaved)
// and single-channel float32 maps (anomaly maps). Files are written uncompressed, so values
// (including NaN) come back bit-exact and tifffile/numpy read them directly.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace lsfa {

// Reads an H x W x 3 float32 TIFF as CV_32FC3 with channels in x,y,z order. Throws lsfa::Error
// naming the file when it is missing, not a TIFF, not float32 or not 3 channels.
cv::Mat read_xyz_tiff(const std::string &path);

// Writes a CV_32FC3 x,y,z cloud as an uncompressed pixel-interleaved float32 TIFF, atomically.
void write_xyz_tiff(const std::string &path, const cv::Mat &xyz);

// Reads a single-channel float32 TIFF (H x W or H x W x 1) as CV_32FC1.
cv::Mat read_float_tiff(const std::string &path);

// Writes a CV_32FC1 map as an uncompressed float32 TIFF, atomically.
void write_float_tiff(const std::string &path, const cv::Mat &map);

}  // namespace lsfa
