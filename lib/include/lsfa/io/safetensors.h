// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON header
// {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}},
// then the raw little-endian tensor bytes. Safe to parse: no code, only sizes that we check.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <map>
#include <string>

namespace lsfa {

struct SafetensorsContents {
  std::map<std::string, at::Tensor> tensors;  // CPU, contiguous, each owning its memory
  std::map<std::string, std::string> metadata;
};

// Reads and validates a safetensors file. Throws lsfa::Error naming the file and the problem
// (header length beyond the file, malformed JSON, unknown dtype, offsets out of range, overlapping
// or leaving gaps, byte size not numel * itemsize, shape overflow, bool bytes other than 0/1).
SafetensorsContents read_safetensors(const std::string &path);

// Only the __metadata__ of a safetensors file: the header is read and validated as above, the
// tensor data is not read (e.g. a model bundle's settings without its memory banks).
std::map<std::string, std::string> read_safetensors_metadata(const std::string &path);

// The same from a memory buffer; `what` names the buffer in error messages.
SafetensorsContents parse_safetensors(const void *data, size_t size,
                                      const std::string &what = "safetensors buffer");

// Serialises tensors (any device, dtype among F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL, any
// contiguity) and metadata. The header lists keys sorted and is padded with spaces to a multiple
// of 8 bytes; data is ordered by decreasing item size, then name, so every tensor is aligned.
std::string serialize_safetensors(const std::map<std::string, at::Tensor> &tensors,
                                  const std::map<std::string, std::string> &metadata = {});

// Writes serialize_safetensors(...) to `path` atomically.
void write_safetensors(const std::string &path, const std::map<std::string, at::Tensor> &tensors,
                       const std::map<std::string, std::string> &metadata = {});

// True when the first bytes look like a safetensors header (length, then '{').
bool looks_like_safetensors(const void *data, size_t size);

}  // namespace lsfa
