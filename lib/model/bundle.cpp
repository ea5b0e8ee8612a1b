#include "lsfa/model/bundle.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "lsfa/core/error.h"
#include "lsfa/io/safetensors.h"

namespace lsfa {
namespace {

using nlohmann::json;

constexpr const char *kFormatName = "lsfa-bundle";
constexpr int kMaxMetadataDepth = 64;  // the writer nests 4 levels; training settings a few more

json adaptor_to_json(const AdaptorConfig &c) {
  return {{"dim", c.dim}, {"heads", c.heads}, {"mlp_ratio", c.mlp_ratio}, {"ln_eps", c.ln_eps}};
}

// Reads a required field of a given JSON type, naming it in the error. Strict: nlohmann would turn
// true into 1, 2.7 into 2 and 2^40 into a truncated int; a bundle holds none of these.
template <typename T>
T field(const json &j, const std::string &key, const std::string &where) {
  auto it = j.find(key);
  require(it != j.end(), "missing field '" + key + "' in " + where);
  const std::string wrong = "field '" + key + "' in " + where + " has the wrong type";
  if constexpr (std::is_same_v<T, bool>) {
    require(it->is_boolean(), wrong + " (expected true or false, found " + it->dump() + ")");
  } else if constexpr (std::is_integral_v<T>) {
    require(it->is_number_integer(), wrong + " (expected an integer, found " + it->dump() + ")");
    const bool fits =
        it->is_number_unsigned()
            ? it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
            : it->get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<T>::min());
    require(fits, "field '" + key + "' in " + where + " is out of range: " + it->dump());
  } else if constexpr (std::is_floating_point_v<T>) {
    require(it->is_number(), wrong + " (expected a number, found " + it->dump() + ")");
  } else if constexpr (std::is_same_v<T, std::string>) {
    require(it->is_string(), wrong + " (expected a string, found " + it->dump() + ")");
  }
  try {
    return it->get<T>();
  } catch (const json::exception &) {
    throw Error(wrong);
  }
}

double finite_field(const json &j, const std::string &key, const std::string &where) {
  double v = field<double>(j, key, where);
  require(std::isfinite(v), "field '" + key + "' in " + where + " is not finite");
  return v;
}

AdaptorConfig adaptor_from_json(const json &j, const std::string &where) {
  AdaptorConfig c;
  c.dim = field<int64_t>(j, "dim", where);
  c.heads = field<int64_t>(j, "heads", where);
  c.mlp_ratio = field<int64_t>(j, "mlp_ratio", where);
  c.ln_eps = finite_field(j, "ln_eps", where);
  require(c.ln_eps > 0, "LayerNorm epsilon ln_eps in " + where + " must be positive, found " +
                            std::to_string(c.ln_eps));
  require(c.dim > 0 && c.heads > 0 && c.mlp_ratio > 0 && c.dim % c.heads == 0,
          "invalid adaptor sizes in " + where);
  return c;
}

const char *modality_key(bool rgb) {
  return rgb ? "rgb" : "points";
}

}  // namespace

void save_bundle(const std::string &path, const ModelBundle &b) {
  require(b.rgb || b.points, "bundle " + path + ": no modality to save");
  json meta;
  meta["format_version"] = b.format_version;
  meta["method"] = b.method;
  meta["created"] = b.created;
  meta["extractor"] = {{"preset", b.extractor.preset},
                       {"seed", b.extractor.seed},
                       {"groups", b.extractor.groups},
                       {"group_size", b.extractor.group_size},
                       {"modalities", modalities_to_string(b.extractor.modalities)},
                       {"point_batch_stats", b.extractor.point_batch_stats},
                       {"preprocess", b.extractor.preprocess.to_string()},
                       {"identity", b.extractor_identity}};
  meta["calibration"] = to_json(b.calibration);
  meta["map_low"] = b.map_low;
  meta["map_high"] = b.map_high;
  meta["bank_dtype"] = b.bank_fp16 ? "float16" : "float32";
  meta["training"] = b.training_json.empty() ? json::object() : json::parse(b.training_json);

  StateDict tensors;
  for (bool rgb : {true, false}) {
    const auto &m = rgb ? b.rgb : b.points;
    if (!m) continue;
    const std::string key = modality_key(rgb);
    require(m->bank.defined() && m->bank.dim() == 2 && m->bank.size(0) > 0,
            "bundle " + path + ": empty " + key + " memory bank");
    require(m->adaptor.defined(), "bundle " + path + ": " + key + " adaptor not initialised");
    meta["modalities"][key] = {{"adaptor", adaptor_to_json(m->adaptor.config())},
                               {"adaptor_identity", m->adaptor.is_identity()},
                               {"bank_size", m->bank.size(0)},
                               {"bank_source_size", m->bank_source_size}};
    m->adaptor.save(tensors, "adaptor." + key + ".");
    at::Tensor bank = m->bank.detach().to(at::kCPU).contiguous();
    tensors["bank." + key] = b.bank_fp16 ? bank.to(at::kHalf) : bank.to(at::kFloat);
  }
  std::map<std::string, std::string> metadata = {
      {"format", kFormatName},
      {"format_version", std::to_string(b.format_version)},
      {"lsfa", meta.dump()}};
  write_safetensors(path, tensors, metadata);
}

ModelBundle load_bundle(const std::string &path) {
  const std::string where = "model bundle " + path;
  SafetensorsContents file;
  try {
    file = read_safetensors(path);
  } catch (const Error &e) {
    throw Error(where + ": not a readable bundle: " + e.what());
  }
  auto fmt = file.metadata.find("format");
  require(fmt != file.metadata.end() && fmt->second == kFormatName,
          where + ": not an lsfa model bundle (metadata 'format' is missing or not '" +
              kFormatName + "')");
  // The header's version string is what other tools read first; it must agree with the JSON one.
  auto version_it = file.metadata.find("format_version");
  require(version_it != file.metadata.end() &&
              version_it->second == std::to_string(kBundleFormatVersion),
          where + ": metadata 'format_version' is " +
              (version_it == file.metadata.end() ? std::string("missing")
                                                 : "\"" + version_it->second + "\"") +
              ", this build reads version " + std::to_string(kBundleFormatVersion));
  auto meta_it = file.metadata.find("lsfa");
  require(meta_it != file.metadata.end(), where + ": metadata 'lsfa' is missing");
  json meta;
  try {
    // Copying and dumping a json value recurse once per nesting level: a file nesting arrays a
    // hundred thousand deep would overflow the stack, so such metadata is refused at parse time.
    bool too_deep = false;
    meta = json::parse(meta_it->second, [&](int depth, json::parse_event_t, json &) {
      if (depth > kMaxMetadataDepth) too_deep = true;
      return !too_deep;
    });
    require(!too_deep, where + ": metadata 'lsfa' is nested deeper than " +
                           std::to_string(kMaxMetadataDepth) + " levels");
  } catch (const json::exception &e) {
    throw Error(where + ": metadata 'lsfa' is not valid JSON: " + e.what());
  }
  require(meta.is_object(), where + ": metadata 'lsfa' is not a JSON object");

  ModelBundle b;
  b.format_version = field<int>(meta, "format_version", where);
  require(b.format_version == kBundleFormatVersion,
          where + ": format version " + std::to_string(b.format_version) +
              " is not supported (this build reads version " +
              std::to_string(kBundleFormatVersion) + ")");
  b.method = field<std::string>(meta, "method", where);
  b.created = field<std::string>(meta, "created", where);
  const json ex = field<json>(meta, "extractor", where);
  const std::string exwhere = where + " (extractor)";
  b.extractor.preset = field<std::string>(ex, "preset", exwhere);
  b.extractor.seed = field<uint64_t>(ex, "seed", exwhere);
  b.extractor.groups = field<int>(ex, "groups", exwhere);
  b.extractor.group_size = field<int>(ex, "group_size", exwhere);
  b.extractor.modalities = modalities_from_string(field<std::string>(ex, "modalities", exwhere));
  b.extractor.point_batch_stats = field<bool>(ex, "point_batch_stats", exwhere);
  try {
    b.extractor.preprocess =
        PreprocessOptions::from_string(field<std::string>(ex, "preprocess", exwhere));
  } catch (const Error &e) {
    throw Error(exwhere + ": " + e.what());
  }
  b.extractor_identity = field<std::string>(ex, "identity", exwhere);
  try {
    b.calibration = scoring_calibration_from_json(field<json>(meta, "calibration", where));
  } catch (const Error &e) {
    throw Error(where + " (calibration): " + e.what());
  }
  require(b.calibration.mode == b.extractor.modalities,
          where + ": calibration mode " + to_string(b.calibration.mode) +
              " does not match the modalities " + modalities_to_string(b.extractor.modalities));
  b.map_low = finite_field(meta, "map_low", where);
  b.map_high = finite_field(meta, "map_high", where);
  require(b.map_high > b.map_low, where + ": map_high must exceed map_low");
  const std::string bank_dtype = field<std::string>(meta, "bank_dtype", where);
  require(bank_dtype == "float16" || bank_dtype == "float32",
          where + ": bank_dtype \"" + bank_dtype + "\" is neither float16 nor float32");
  b.bank_fp16 = bank_dtype == "float16";
  b.training_json = field<json>(meta, "training", where).dump();

  const json mods = field<json>(meta, "modalities", where);
  const bool want_rgb = b.extractor.modalities != Modalities::kPoints;
  const bool want_points = b.extractor.modalities != Modalities::kRgb;
  for (bool rgb : {true, false}) {
    const std::string key = modality_key(rgb);
    const bool wanted = rgb ? want_rgb : want_points;
    if (!wanted) continue;
    const std::string mwhere = where + " (" + key + ")";
    require(mods.contains(key), where + ": modality '" + key + "' is missing");
    const json &mj = mods[key];
    ModalityModel m;
    AdaptorConfig ac = adaptor_from_json(field<json>(mj, "adaptor", mwhere), mwhere);
    try {
      m.adaptor = Adaptor::load(file.tensors, "adaptor." + key + ".", ac);
    } catch (const Error &e) {
      throw Error(mwhere + ": " + e.what());
    }
    auto bank_it = file.tensors.find("bank." + key);
    require(bank_it != file.tensors.end(), mwhere + ": tensor 'bank." + key + "' is missing");
    at::Tensor bank = bank_it->second;
    require(bank.dim() == 2 && bank.size(0) > 0 && bank.size(1) == ac.dim,
            mwhere + ": memory bank has shape " + c10::str(bank.sizes()) + ", expected [M," +
                std::to_string(ac.dim) + "] with M > 0");
    const at::ScalarType declared = b.bank_fp16 ? at::kHalf : at::kFloat;
    require(bank.scalar_type() == declared, mwhere + ": memory bank tensor is " +
                                                c10::toString(bank.scalar_type()) +
                                                " but bank_dtype says " + bank_dtype);
    m.bank = bank.to(at::kFloat).contiguous();
    require(at::isfinite(m.bank).all().item<bool>(), mwhere + ": memory bank holds NaN or Inf");
    require(field<int64_t>(mj, "bank_size", mwhere) == m.bank.size(0),
            mwhere + ": bank_size does not match the bank tensor");
    m.bank_source_size = field<int64_t>(mj, "bank_source_size", mwhere);
    const bool identity = field<bool>(mj, "adaptor_identity", mwhere);
    require(identity == m.adaptor.is_identity(),
            mwhere + ": adaptor_identity is " + (identity ? "true" : "false") +
                " but the adaptor weights are " + (identity ? "trained" : "the identity"));
    (rgb ? b.rgb : b.points) = std::move(m);
  }
  return b;
}

std::string describe_bundle(const ModelBundle &b) {
  std::ostringstream os;
  os << "format version     " << b.format_version << "\n"
     << "method             " << b.method << "\n"
     << "created            " << b.created << "\n"
     << "preset             " << b.extractor.preset << "\n"
     << "modalities         " << modalities_to_string(b.extractor.modalities) << "\n"
     << "groups             " << b.extractor.groups << " x " << b.extractor.group_size << "\n"
     << "random-init seed   " << b.extractor.seed << "\n"
     << "point batch norm   "
     << (b.extractor.point_batch_stats ? "batch statistics" : "running statistics") << "\n"
     << "backbones          " << b.extractor_identity << "\n"
     << "preprocessing      " << b.extractor.preprocess.to_string() << "\n"
     << "image threshold    " << b.calibration.image_threshold << "\n"
     << "pixel threshold    " << b.calibration.pixel_threshold << "\n"
     << "heatmap range      [" << b.map_low << ", " << b.map_high << "]\n"
     << "bank dtype         " << (b.bank_fp16 ? "float16" : "float32") << "\n";
  for (bool rgb : {true, false}) {
    const auto &m = rgb ? b.rgb : b.points;
    if (!m) continue;
    const ModalityStats &stats = rgb ? b.calibration.rgb : b.calibration.points;
    os << modality_key(rgb) << ":\n"
       << "  bank             " << m->bank.size(0) << " x " << m->bank.size(1) << " (from "
       << m->bank_source_size << " patches)\n"
       << "  adaptor          " << (m->adaptor.is_identity() ? "identity (not adapted)" : "trained")
       << ", heads " << m->adaptor.config().heads << ", mlp ratio " << m->adaptor.config().mlp_ratio
       << "\n"
       << "  image norm       mean " << stats.image.mean << ", std " << stats.image.std << "\n"
       << "  pixel norm       mean " << stats.pixel.mean << ", std " << stats.pixel.std << "\n";
  }
  os << "training           " << b.training_json << "\n";
  return os.str();
}

}  // namespace lsfa
