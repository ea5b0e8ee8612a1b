#include "lsfa/io/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "lsfa/core/error.h"

namespace lsfa {
namespace {

std::string to_hex(const unsigned char *digest, unsigned len) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

}  // namespace

void Sha256::CtxDeleter::operator()(evp_md_ctx_st *ctx) const {
  EVP_MD_CTX_free(ctx);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  require(ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1,
          "sha256: cannot initialise the digest");
}

Sha256 &Sha256::update(const void *data, size_t size) {
  if (size > 0) EVP_DigestUpdate(ctx_.get(), data, size);
  return *this;
}

Sha256 &Sha256::update(const std::string &bytes) {
  return update(bytes.data(), bytes.size());
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_.get(), digest, &len);
  return to_hex(digest, len);
}

std::string sha256_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + " to compute its sha256");
  Sha256 digest;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) digest.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error("cannot read " + path);
  return digest.hex();
}

std::string sha256_bytes(const std::string &bytes) {
  return Sha256().update(bytes).hex();
}

}  // namespace lsfa
