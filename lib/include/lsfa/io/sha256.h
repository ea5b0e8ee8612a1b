// SHA-256 of files and byte strings: the identity of backbone checkpoints and the integrity
// digests of model bundles.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace lsfa {

// Incremental digest: update() with the bytes in order, then hex() once.
class Sha256 {
 public:
  Sha256();
  Sha256 &update(const void *data, size_t size);
  Sha256 &update(const std::string &bytes);
  std::string hex();  // lower-case hex of the digest; ends the computation

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st *ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;
};

// Lower-case hex digest of the file's contents. Throws lsfa::Error if it cannot be read.
std::string sha256_file(const std::string &path);
std::string sha256_bytes(const std::string &bytes);

}  // namespace lsfa
