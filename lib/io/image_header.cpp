#include "lsfa/io/image_header.h"

#include <algorithm>
#include <cstdint>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

// Bounds-checked reads of little- or big-endian integers at an offset.
class Bytes {
 public:
  Bytes(const std::string &b, bool big_endian, const std::string &what)
      : b_(b), big_(big_endian), what_(what) {}

  uint64_t get(uint64_t at, int n) const {
    if (at > b_.size() || static_cast<uint64_t>(n) > b_.size() - at)
      throw Error(what_ + ": TIFF header is truncated (needs bytes " + std::to_string(at) + ".." +
                  std::to_string(at + static_cast<uint64_t>(n)) + " of " +
                  std::to_string(b_.size()) + ")");
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      const auto byte =
          static_cast<unsigned char>(b_[at + static_cast<uint64_t>(big_ ? i : n - 1 - i)]);
      v = (v << 8) | byte;
    }
    return v;
  }

 private:
  const std::string &b_;
  bool big_;
  const std::string &what_;
};

ImageHeader probe_png(const std::string &b, const std::string &what) {
  // Signature (8), IHDR length (4), "IHDR" (4), width (4, big-endian), height (4).
  if (b.size() < 24 || b.compare(12, 4, "IHDR") != 0)
    throw Error(what + ": PNG header is truncated or lacks IHDR");
  Bytes r(b, true, what);
  ImageHeader h;
  h.format = ImageHeader::Format::Png;
  h.width = r.get(16, 4);
  h.height = r.get(20, 4);
  return h;
}

ImageHeader probe_tiff(const std::string &b, const std::string &what) {
  const bool big_endian = b[0] == 'M';
  Bytes r(b, big_endian, what);
  const uint64_t version = r.get(2, 2);
  const bool bigtiff = version == 43;
  if (version != 42 && !bigtiff)
    throw Error(what + ": TIFF version " + std::to_string(version) + " is neither 42 nor 43");
  const uint64_t ifd = bigtiff ? r.get(8, 8) : r.get(4, 4);
  const uint64_t count = bigtiff ? r.get(ifd, 8) : r.get(ifd, 2);
  const uint64_t entry_size = bigtiff ? 20 : 12;
  const uint64_t first = ifd + (bigtiff ? 8 : 2);
  // Every entry must lie inside the file: the count cannot drive a longer loop than the bytes.
  if (count > (b.size() - std::min<uint64_t>(first, b.size())) / entry_size)
    throw Error(what + ": TIFF directory of " + std::to_string(count) +
                " entries runs past the end of the file");
  ImageHeader h;
  h.format = ImageHeader::Format::Tiff;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t e = first + i * entry_size;
    const uint64_t tag = r.get(e, 2);
    const uint64_t type = r.get(e + 2, 2);
    const uint64_t value_at = e + (bigtiff ? 12 : 8);
    // SHORT (3) and LONG (4) values sit left-justified in the entry's value field.
    uint64_t value = 0;
    if (type == 3)
      value = r.get(value_at, 2);
    else if (type == 4)
      value = r.get(value_at, 4);
    else if (type == 16)
      value = r.get(value_at, 8);
    else
      continue;
    switch (tag) {
      case 256:
        h.width = value;
        break;
      case 257:
        h.height = value;
        break;
      case 277:
        h.samples_per_pixel = static_cast<uint32_t>(std::min<uint64_t>(value, UINT32_MAX));
        break;
      case 284:
        h.planar_configuration = static_cast<uint32_t>(std::min<uint64_t>(value, UINT32_MAX));
        break;
      default:
        break;
    }
  }
  return h;
}

}  // namespace

ImageHeader probe_image_header(const std::string &bytes, const std::string &what) {
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0)
    return probe_png(bytes, what);
  if (bytes.size() >= 4 && (bytes.compare(0, 2, "II") == 0 || bytes.compare(0, 2, "MM") == 0))
    return probe_tiff(bytes, what);
  return {};
}

void check_image_header(const std::string &bytes, const std::string &what) {
  const ImageHeader h = probe_image_header(bytes, what);
  // Only PNG and TIFF go on to OpenCV: cv::imdecode picks its decoder from the content, and some
  // of the others Debian builds in abort the process on crafted input (GDCM asserts on a file
  // with "DICM" at byte 128, whatever its name), which a data set file must never be able to do.
  if (h.format == ImageHeader::Format::Unknown)
    throw Error(what + ": neither a PNG nor a TIFF file (the only image formats read)");
  if (h.width > kMaxImagePixels || h.height > kMaxImagePixels ||
      h.width * h.height > kMaxImagePixels)
    throw Error(what + ": image of " + std::to_string(h.width) + " x " + std::to_string(h.height) +
                " pixels exceeds the limit of " + std::to_string(kMaxImagePixels) + " pixels");
  if (h.format == ImageHeader::Format::Tiff && h.planar_configuration == 2 &&
      h.samples_per_pixel > 1)
    throw Error(what +
                ": planar TIFF (PlanarConfiguration 2, one plane per channel) is not "
                "supported; write it pixel-interleaved (tifffile: planarconfig='contig')");
}

}  // namespace lsfa
