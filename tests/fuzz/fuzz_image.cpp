// Sample loading: the first byte picks one of the readers a data set sample goes through (xyz
// TIFF, float map TIFF, RGB PNG, mask PNG, 16-bit depth PNG); the rest is the file.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "lsfa/core/error.h"
#include "lsfa/io/image_io.h"
#include "lsfa/io/tiff_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const std::string &path = lsfa::fuzz::write_scratch("image", data + 1, size - 1);
  try {
    switch (data[0] % 5) {
      case 0:
        (void)lsfa::read_xyz_tiff(path);
        break;
      case 1:
        (void)lsfa::read_float_tiff(path);
        break;
      case 2:
        (void)lsfa::read_rgb_png(path);
        break;
      case 3:
        (void)lsfa::read_mask_png(path);
        break;
      default:
        (void)lsfa::read_depth_png(path);
        break;
    }
  } catch (const lsfa::Error &) {
  }
  return 0;
}
