// State dicts: name -> tensor maps read from checkpoint files (torch.save zip files or
// safetensors), and the checks that a backbone makes before it uses one.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <map>
#include <string>
#include <vector>

#include "lsfa/io/pickle_value.h"

namespace lsfa {

using StateDict = std::map<std::string, at::Tensor>;

// Reads a checkpoint by content (torch zip/pickle or safetensors), picks the state dict inside
// (top level, or under "state_dict"/"model"/"base_model"/"teacher"/"student"), and strips the
// prefixes "module.", "MAE_encoder.", "base_model." from its keys. Throws lsfa::Error on a
// truncated, malformed or hostile file, naming the problem. Tensors keep the strides they were
// saved with (views of a shared storage share memory); call .contiguous() where a layout matters.
StateDict load_state_dict(const std::string &path);

// The whole content of a checkpoint file as a value tree, for inspection (`describe`). A
// safetensors file gives a dict name -> tensor whose `state` is the dict of its __metadata__.
ValuePtr load_checkpoint_tree(const std::string &path);

// Picks the state dict out of a checkpoint tree and strips the key prefixes, as load_state_dict
// does. `what` names the file in messages.
StateDict state_dict_from_tree(const ValuePtr &tree, const std::string &what);

// The tensor `key` of `sd`. Throws lsfa::Error "<what>: missing key '<key>'<hint>".
const at::Tensor &state_dict_entry(const StateDict &sd, const std::string &key,
                                   const std::string &what, const std::string &hint = "");
// The same as a contiguous float32 tensor on `device`.
at::Tensor state_dict_float(const StateDict &sd, const std::string &key, at::Device device,
                            const std::string &what = "state dict");

// One expected entry: key and shape (an empty shape with `any_shape` true accepts any shape).
// `floating`: the weight must hold floating-point values (F32, F16, BF16, F64); an integer or bool
// tensor there is a corrupt or foreign file, not something to convert silently.
struct ExpectedTensor {
  std::string key;
  std::vector<int64_t> shape;
  bool any_shape = false;
  bool floating = true;
};

// Checks that every expected key exists with the expected shape and kind of dtype. Throws
// lsfa::Error listing all missing keys, all mis-shaped keys (expected vs found), all keys with an
// integer or bool dtype where a floating-point weight is expected and all unexpected keys that no
// entry of `ignored_prefixes` covers. `what` names the checkpoint in the message, e.g. "DINO ViT
// checkpoint x.pth".
void check_state_dict(const StateDict &sd, const std::vector<ExpectedTensor> &expected,
                      const std::string &what,
                      const std::vector<std::string> &ignored_prefixes = {});

}  // namespace lsfa
