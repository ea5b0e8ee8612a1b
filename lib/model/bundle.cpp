#include "lsfa/model/bundle.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "lsfa/core/error.h"
#include "lsfa/io/json_fields.h"
#include "lsfa/io/safetensors.h"
#include "lsfa/io/sha256.h"

namespace lsfa {
namespace {

using nlohmann::json;

constexpr const char *kFormatName = "lsfa-bundle";
constexpr int kMaxMetadataDepth = 64;  // the writer nests 4 levels; training settings a few more

json adaptor_to_json(const AdaptorConfig &c) {
  return {{"dim", c.dim}, {"heads", c.heads}, {"mlp_ratio", c.mlp_ratio}, {"ln_eps", c.ln_eps}};
}

AdaptorConfig adaptor_from_json(const json &j, const std::string &where) {
  AdaptorConfig c;
  c.dim = json_field<int64_t>(j, "dim", where);
  c.heads = json_field<int64_t>(j, "heads", where);
  c.mlp_ratio = json_field<int64_t>(j, "mlp_ratio", where);
  c.ln_eps = json_finite(j, "ln_eps", where);
  require(c.ln_eps > 0, "LayerNorm epsilon ln_eps in " + where + " must be positive, found " +
                            std::to_string(c.ln_eps));
  require(c.dim > 0 && c.heads > 0 && c.mlp_ratio > 0 && c.dim % c.heads == 0,
          "invalid adaptor sizes in " + where);
  return c;
}

// Digest of the tensors as written: names, dtypes, shapes and bytes, in name order. Stored in the
// file's metadata, so a flipped bit anywhere in the data is found on load.
std::string tensors_digest(const StateDict &tensors) {
  Sha256 digest;
  for (const auto &[name, t] : tensors) {
    const at::Tensor c = t.contiguous();
    digest.update(name + "|" + c10::toString(c.scalar_type()) + "|" + c10::str(c.sizes()) + "|");
    digest.update(c.data_ptr(), c.numel() * c.element_size());
  }
  return digest.hex();
}

// Checks the digests a bundle records (files written before digests were recorded have none).
void check_digests(const SafetensorsContents &file, const std::string &where) {
  auto meta = file.metadata.find("lsfa_sha256");
  auto text = file.metadata.find("lsfa");
  if (meta != file.metadata.end() && text != file.metadata.end())
    require(meta->second == sha256_bytes(text->second),
            where +
                " is corrupted: its metadata does not match the digest recorded when it was "
                "written");
  auto payload = file.metadata.find("payload_sha256");
  if (payload != file.metadata.end())
    require(payload->second == tensors_digest(file.tensors),
            where +
                " is corrupted: its tensor data does not match the digest recorded when it "
                "was written");
}

const char *modality_key(bool rgb) {
  return rgb ? "rgb" : "points";
}

// The bundle's JSON metadata, with its format checked.
json bundle_metadata(const std::map<std::string, std::string> &metadata, const std::string &where) {
  auto fmt = metadata.find("format");
  require(fmt != metadata.end() && fmt->second == kFormatName,
          where + ": not an lsfa model bundle (metadata 'format' is missing or not '" +
              kFormatName + "')");
  // The header's version string is what other tools read first; it must agree with the JSON one.
  auto version_it = metadata.find("format_version");
  require(
      version_it != metadata.end() && version_it->second == std::to_string(kBundleFormatVersion),
      where + ": metadata 'format_version' is " +
          (version_it == metadata.end() ? std::string("missing")
                                        : "\"" + version_it->second + "\"") +
          ", this build reads version " + std::to_string(kBundleFormatVersion));
  auto meta_it = metadata.find("lsfa");
  require(meta_it != metadata.end(), where + ": metadata 'lsfa' is missing");
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
  const int version = json_field<int>(meta, "format_version", where);
  require(version == kBundleFormatVersion, where + ": format version " + std::to_string(version) +
                                               " is not supported (this build reads version " +
                                               std::to_string(kBundleFormatVersion) + ")");
  return meta;
}

BundleExtractor extractor_from_metadata(const json &meta, const std::string &where) {
  BundleExtractor out;
  ExtractorConfig &c = out.config;
  const json ex = json_field<json>(meta, "extractor", where);
  const std::string exwhere = where + " (extractor)";
  c.preset = json_field<std::string>(ex, "preset", exwhere);
  c.seed = json_field<uint64_t>(ex, "seed", exwhere);
  c.groups = json_field<int>(ex, "groups", exwhere);
  c.group_size = json_field<int>(ex, "group_size", exwhere);
  try {
    c.modalities = modalities_from_string(json_field<std::string>(ex, "modalities", exwhere));
    c.preprocess =
        PreprocessOptions::from_string(json_field<std::string>(ex, "preprocess", exwhere));
  } catch (const Error &e) {
    throw Error(exwhere + ": " + e.what());
  }
  c.point_batch_stats = json_field<bool>(ex, "point_batch_stats", exwhere);
  out.identity = json_field<std::string>(ex, "identity", exwhere);
  if (ex.contains("backbones")) c.backbones = json_field<std::string>(ex, "backbones", exwhere);
  // Where the checkpoints were when the bundle was built (bundles of older builds lack it).
  if (ex.contains("checkpoints")) {
    const json &ck = json_member(ex, "checkpoints", exwhere);
    c.rgb_weights = json_field<std::string>(ck, "rgb", exwhere + " checkpoints");
    c.point_weights = json_field<std::string>(ck, "points", exwhere + " checkpoints");
  }
  return out;
}

}  // namespace

void save_bundle(const std::string &path, const ModelBundle &b) {
  require(b.rgb || b.points, "bundle " + path + ": no modality to save");
  json meta;
  meta["format_version"] = b.format_version;
  meta["method"] = b.method;
  meta["created"] = b.created;
  meta["extractor"] = {
      {"preset", b.extractor.preset},
      {"seed", b.extractor.seed},
      {"groups", b.extractor.groups},
      {"group_size", b.extractor.group_size},
      {"modalities", to_string(b.extractor.modalities)},
      {"point_batch_stats", b.extractor.point_batch_stats},
      {"preprocess", b.extractor.preprocess.to_string()},
      {"identity", b.extractor_identity},
      {"backbones", b.extractor.backbones},
      {"checkpoints", {{"rgb", b.extractor.rgb_weights}, {"points", b.extractor.point_weights}}}};
  meta["calibration"] = to_json(b.calibration);
  meta["map_low"] = b.map_low;
  meta["map_high"] = b.map_high;
  meta["bank_dtype"] = b.bank_fp16 ? "float16" : "float32";
  if (!b.bank_index.exact())
    meta["bank_index"] = {{"kind", to_string(b.bank_index.kind)},
                          {"nlist", b.bank_index.nlist},
                          {"nprobe", b.bank_index.nprobe},
                          {"hnsw_m", b.bank_index.hnsw_m},
                          {"ef_construction", b.bank_index.ef_construction},
                          {"ef_search", b.bank_index.ef_search}};
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
  const std::string meta_text = meta.dump();
  std::map<std::string, std::string> metadata = {
      {"format", kFormatName},
      {"format_version", std::to_string(b.format_version)},
      {"lsfa", meta_text},
      {"lsfa_sha256", sha256_bytes(meta_text)},
      {"payload_sha256", tensors_digest(tensors)}};
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
  check_digests(file, where);
  const json meta = bundle_metadata(file.metadata, where);

  ModelBundle b;
  b.format_version = kBundleFormatVersion;
  b.method = json_field<std::string>(meta, "method", where);
  b.created = json_field<std::string>(meta, "created", where);
  BundleExtractor ex = extractor_from_metadata(meta, where);
  b.extractor = std::move(ex.config);
  b.extractor_identity = std::move(ex.identity);
  try {
    b.calibration = scoring_calibration_from_json(json_field<json>(meta, "calibration", where));
  } catch (const Error &e) {
    throw Error(where + " (calibration): " + e.what());
  }
  b.map_low = json_finite(meta, "map_low", where);
  b.map_high = json_finite(meta, "map_high", where);
  require(b.map_high > b.map_low, where + ": map_high must exceed map_low");
  const std::string bank_dtype = json_field<std::string>(meta, "bank_dtype", where);
  require(bank_dtype == "float16" || bank_dtype == "float32",
          where + ": bank_dtype \"" + bank_dtype + "\" is neither float16 nor float32");
  b.bank_fp16 = bank_dtype == "float16";
  if (meta.contains("bank_index")) {
    const std::string iwhere = where + " (bank_index)";
    const json &ij = json_member(meta, "bank_index", where);
    try {
      b.bank_index.kind = bank_index_kind_from_string(json_field<std::string>(ij, "kind", iwhere));
    } catch (const Error &e) {
      throw Error(iwhere + ": " + e.what());
    }
    b.bank_index.nlist = json_field<int64_t>(ij, "nlist", iwhere);
    b.bank_index.nprobe = json_field<int64_t>(ij, "nprobe", iwhere);
    b.bank_index.hnsw_m = json_field<int64_t>(ij, "hnsw_m", iwhere);
    b.bank_index.ef_construction = json_field<int64_t>(ij, "ef_construction", iwhere);
    b.bank_index.ef_search = json_field<int64_t>(ij, "ef_search", iwhere);
    require(!b.bank_index.exact(), iwhere + ": an exact bundle records no bank_index");
    for (int64_t v : {b.bank_index.nlist, b.bank_index.nprobe, b.bank_index.hnsw_m,
                      b.bank_index.ef_construction, b.bank_index.ef_search})
      require(v >= 0 && v <= (int64_t{1} << 24), iwhere + ": settings must be in [0, 2^24]");
  }
  b.training_json = json_field<json>(meta, "training", where).dump();

  const json mods = json_field<json>(meta, "modalities", where);
  const bool want_rgb = uses_rgb(b.extractor.modalities);
  const bool want_points = uses_points(b.extractor.modalities);
  for (bool rgb : {true, false}) {
    const std::string key = modality_key(rgb);
    const bool wanted = rgb ? want_rgb : want_points;
    if (!wanted) continue;
    const std::string mwhere = where + " (" + key + ")";
    require(mods.contains(key), where + ": modality '" + key + "' is missing");
    const json &mj = mods[key];
    ModalityModel m;
    AdaptorConfig ac = adaptor_from_json(json_field<json>(mj, "adaptor", mwhere), mwhere);
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
    require(json_field<int64_t>(mj, "bank_size", mwhere) == m.bank.size(0),
            mwhere + ": bank_size does not match the bank tensor");
    m.bank_source_size = json_field<int64_t>(mj, "bank_source_size", mwhere);
    const bool identity = json_field<bool>(mj, "adaptor_identity", mwhere);
    require(identity == m.adaptor.is_identity(),
            mwhere + ": adaptor_identity is " + (identity ? "true" : "false") +
                " but the adaptor weights are " + (identity ? "trained" : "the identity"));
    (rgb ? b.rgb : b.points) = std::move(m);
  }
  return b;
}

BundleExtractor read_bundle_extractor(const std::string &path) {
  const std::string where = "model bundle " + path;
  std::map<std::string, std::string> metadata;
  try {
    metadata = read_safetensors_metadata(path);
  } catch (const Error &e) {
    throw Error(where + ": not a readable bundle: " + e.what());
  }
  return extractor_from_metadata(bundle_metadata(metadata, where), where);
}

namespace {

// The sha256 the identity records for a checkpoint ("rgb=sha256:<hex>"), or "" for random weights.
std::string recorded_digest(const std::string &identity, const std::string &key) {
  const std::string tag = key + "=sha256:";
  const size_t at = identity.find(tag);
  if (at == std::string::npos) return "";
  return identity.substr(at + tag.size(), identity.find(';', at) - at - tag.size());
}

// The checkpoint to use: the one given, else the one the bundle recorded, which must still exist.
std::string checkpoint_for(const std::string &given, const std::string &recorded,
                           const std::string &what, const std::string &digest,
                           const std::string &bundle_path) {
  if (!given.empty() || recorded.empty()) return given;
  require(std::filesystem::exists(recorded),
          "the model bundle " + bundle_path + " was built with the " + what + " checkpoint " +
              recorded + " (sha256 " + digest + "), which is missing: pass its new location");
  return recorded;
}

}  // namespace

std::unique_ptr<FeatureExtractor> extractor_for_bundle(const std::string &bundle_path,
                                                       const std::string &rgb_weights,
                                                       const std::string &point_weights,
                                                       const std::string &device,
                                                       Precision precision) {
  BundleExtractor expected = read_bundle_extractor(bundle_path);
  ExtractorConfig config = expected.config;
  config.rgb_weights = checkpoint_for(rgb_weights, expected.config.rgb_weights, "RGB",
                                      recorded_digest(expected.identity, "rgb"), bundle_path);
  config.point_weights = checkpoint_for(point_weights, expected.config.point_weights, "Point-MAE",
                                        recorded_digest(expected.identity, "points"), bundle_path);
  config.device = device;
  config.precision = precision;
  auto extractor = std::make_unique<FeatureExtractor>(config);
  require(extractor->identity() == expected.identity,
          "the backbones do not match the model bundle '" + bundle_path +
              "': it was built with backbones '" + expected.identity + "', these are '" +
              extractor->identity() + "' (use the same rgb / point checkpoints" +
              (rgb_weights.empty() && point_weights.empty() &&
                       !(expected.config.rgb_weights + expected.config.point_weights).empty()
                   ? "; the recorded checkpoint files changed since the bundle was built)"
                   : ")"));
  return extractor;
}

std::string describe_bundle(const ModelBundle &b) {
  std::ostringstream os;
  os << "format version     " << b.format_version << "\n"
     << "method             " << b.method << "\n"
     << "created            " << b.created << "\n"
     << "preset             " << b.extractor.preset << "\n"
     << "modalities         " << to_string(b.extractor.modalities) << "\n"
     << "groups             " << b.extractor.groups << " x " << b.extractor.group_size << "\n"
     << "random-init seed   " << b.extractor.seed << "\n"
     << "point batch norm   "
     << (b.extractor.point_batch_stats ? "batch statistics" : "running statistics") << "\n"
     << "backbones          " << b.extractor_identity << "\n"
     << "loaded             " << (b.extractor.backbones.empty() ? "-" : b.extractor.backbones)
     << "\n"
     << "preprocessing      " << b.extractor.preprocess.to_string() << "\n"
     << "image threshold    " << b.calibration.image_threshold << "\n"
     << "pixel threshold    " << b.calibration.pixel_threshold << "\n"
     << "heatmap range      [" << b.map_low << ", " << b.map_high << "]\n"
     << "bank dtype         " << (b.bank_fp16 ? "float16" : "float32") << "\n"
     << "bank index         " << to_string(b.bank_index.kind) << "\n";
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
       << "  image norm       mean " << stats.image.mean << ", std " << stats.image.std << " ("
       << stats.image.count << " held-out samples)\n"
       << "  pixel norm       mean " << stats.pixel.mean << ", std " << stats.pixel.std << " ("
       << stats.pixel.count << " held-out map values)\n";
  }
  os << "training           " << b.training_json << "\n";
  return os.str();
}

}  // namespace lsfa
