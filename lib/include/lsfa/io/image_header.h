// A look at an image file's header before a decoder sees it: the size (so a crafted header cannot
// make the decoder allocate gigabytes) and, for TIFF, the layout of the samples (OpenCV misreads
// planar TIFF files without an error).
#pragma once

#include <cstdint>
#include <string>

namespace lsfa {

struct ImageHeader {
  enum class Format { Unknown, Png, Tiff };
  Format format = Format::Unknown;
  uint64_t width = 0;
  uint64_t height = 0;
  uint32_t samples_per_pixel = 1;     // TIFF
  uint32_t planar_configuration = 1;  // TIFF: 1 interleaved (x,y,z,x,y,z...), 2 separate planes
};

// Largest image we decode: 2^26 pixels (8192 x 8192), far above any data set we read.
constexpr uint64_t kMaxImagePixels = uint64_t{1} << 26;

// Reads the PNG IHDR or the first TIFF directory (classic or BigTIFF, either byte order). Unknown
// formats come back as Format::Unknown for the decoder to judge. Throws lsfa::Error naming `what`
// when a PNG or TIFF header is truncated or malformed.
ImageHeader probe_image_header(const std::string &bytes, const std::string &what);

// probe_image_header, then refuses what we must not decode: a format other than PNG or TIFF, more
// than kMaxImagePixels pixels, or a planar (PlanarConfiguration 2) TIFF with more than one sample
// per pixel.
void check_image_header(const std::string &bytes, const std::string &what);

}  // namespace lsfa
