// Interim state-dict reader and checker used by the backbones branch until the checkpoint branch
// (torch zip/pickle + safetensors) is merged; it is removed at that merge. Reads safetensors only.
#include <ATen/ATen.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "lsfa/error.h"
#include "lsfa/state_dict.h"

namespace lsfa {

StateDict load_state_dict(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  require(in.good(), "cannot open checkpoint " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  require(data.size() >= 8, path + ": too short for safetensors");
  uint64_t header_len = 0;
  std::memcpy(&header_len, data.data(), 8);
  require(header_len <= data.size() - 8, path + ": bad safetensors header length");
  auto header = nlohmann::json::parse(data.substr(8, header_len));
  const size_t base = 8 + header_len;
  StateDict sd;
  for (auto &[key, v] : header.items()) {
    if (key == "__metadata__") continue;
    const std::string dtype = v.at("dtype");
    std::vector<int64_t> shape = v.at("shape").get<std::vector<int64_t>>();
    auto offs = v.at("data_offsets").get<std::vector<size_t>>();
    at::ScalarType st = dtype == "F32" ? at::kFloat : dtype == "I64" ? at::kLong : at::kDouble;
    require(dtype == "F32" || dtype == "I64", path + ": unsupported dtype " + dtype);
    auto t = at::empty(shape, at::TensorOptions().dtype(st));
    require(offs.size() == 2 && offs[1] >= offs[0] && base + offs[1] <= data.size() &&
                offs[1] - offs[0] == static_cast<size_t>(t.nbytes()),
            path + ": bad offsets for " + key);
    std::memcpy(t.data_ptr(), data.data() + base + offs[0], t.nbytes());
    sd[key] = t;
  }
  return sd;
}

void check_state_dict(const StateDict &sd, const std::vector<ExpectedTensor> &expected,
                      const std::string &what, const std::vector<std::string> &ignored_prefixes) {
  std::string problems;
  std::map<std::string, bool> known;
  for (const auto &e : expected) {
    known[e.key] = true;
    auto it = sd.find(e.key);
    if (it == sd.end()) {
      problems += " missing '" + e.key + "';";
    } else if (it->second.sizes().vec() != e.shape) {
      problems += " '" + e.key + "' has shape " + c10::str(it->second.sizes()) + ", expected " +
                  c10::str(at::IntArrayRef(e.shape)) + ";";
    }
  }
  for (const auto &kv : sd) {
    if (known.count(kv.first)) continue;
    bool ignored = false;
    for (const auto &p : ignored_prefixes) ignored |= kv.first.compare(0, p.size(), p) == 0;
    if (!ignored) problems += " unexpected '" + kv.first + "';";
  }
  require(problems.empty(), what + ":" + problems);
}

}  // namespace lsfa
