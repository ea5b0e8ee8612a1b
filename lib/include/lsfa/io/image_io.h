// PNG images as the data sets store them: RGB colour images, ground-truth masks and 16-bit depth.
// Colour images are returned in R,G,B channel order (not OpenCV's BGR), matching lsfa::Sample.
#pragma once

#include <opencv2/core.hpp>
#include <string>

namespace lsfa {

// Reads a colour image (PNG, or anything OpenCV decodes) as CV_8UC3 in R,G,B order. Grey and RGBA
// files are converted. Throws lsfa::Error naming the file when it is missing or not an image.
cv::Mat read_rgb_png(const std::string &path);

// Writes a CV_8UC3 R,G,B image as PNG, atomically. Throws lsfa::Error on a wrong type.
void write_rgb_png(const std::string &path, const cv::Mat &rgb);

// Reads a ground-truth mask as CV_8UC1 with 255 where the stored value is > 0 and 0 elsewhere.
// 8- or 16-bit, grey or colour (any channel > 0 counts): class-id coded masks (253..255) are
// defect.
cv::Mat read_mask_png(const std::string &path);

// Writes a CV_8UC1 mask as an 8-bit grey PNG (values kept as given), atomically.
void write_mask_png(const std::string &path, const cv::Mat &mask);

// Reads a single-channel 16-bit PNG as CV_16UC1. Throws lsfa::Error when the file is not 16-bit
// single-channel (an 8-bit depth image would be silently wrong by a factor of 256).
cv::Mat read_depth_png(const std::string &path);

// Writes a CV_16UC1 image as 16-bit grey PNG, atomically.
void write_depth_png(const std::string &path, const cv::Mat &depth16);

// Encodes `image` with OpenCV's encoder for `ext` (".png", ".tiff") and writes it atomically.
void write_image_atomic(const std::string &path, const std::string &ext, const cv::Mat &image,
                        const std::vector<int> &params = {});

// Decodes file contents with cv::imdecode(flags) after check_image_header (PNG or TIFF only, size
// limit, no planar TIFF). Throws lsfa::Error naming `what` when they cannot be decoded.
cv::Mat decode_image(const std::string &bytes, int flags, const std::string &what);

// Reads a file and decodes it with cv::imdecode(flags). Throws lsfa::Error naming the file when it
// is missing or cannot be decoded.
cv::Mat read_image_file(const std::string &path, int flags);

}  // namespace lsfa
