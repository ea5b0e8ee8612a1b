// The torch.save zip container: libzip over a hostile archive, the storages it names and the
// pickle inside, then the state-dict picking that `lsfa` applies to every checkpoint.
#include <cstddef>
#include <cstdint>

#include "lsfa/core/error.h"
#include "lsfa/io/state_dict.h"
#include "lsfa/io/torch_pickle.h"
#include "lsfa/io/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    lsfa::ZipArchive zip = lsfa::ZipArchive::open_buffer(data, size, "fuzz.zip");
    for (const std::string &name : zip.entry_names()) {
      if (zip.entry_size(name) <= (1u << 20)) (void)zip.read(name);
    }
  } catch (const lsfa::Error &) {
  }
  try {
    lsfa::ValuePtr tree = lsfa::parse_torch_checkpoint(data, size, "fuzz.pth");
    (void)lsfa::describe(tree, 4096);
    (void)lsfa::state_dict_from_tree(tree, "fuzz.pth");
  } catch (const lsfa::Error &) {
  }
  return 0;
}
