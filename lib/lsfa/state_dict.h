// State dicts: name -> tensor maps read from checkpoint files (torch.save zip files or safetensors),
// and the checks that a backbone makes before it uses one.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace lsfa {

using StateDict = std::map<std::string, at::Tensor>;

// Reads a checkpoint by content (torch zip/pickle or safetensors), picks the state dict inside
// (top level, or under "state_dict"/"model"/"base_model"/"teacher"/"student"), and strips the
// prefixes "module.", "MAE_encoder.", "base_model." from its keys. Throws lsfa::Error on a truncated,
// malformed or hostile file, naming the problem.
StateDict load_state_dict(const std::string &path);

// One expected entry: key and shape (an empty shape with `any_shape` true accepts any shape).
struct ExpectedTensor {
  std::string key;
  std::vector<int64_t> shape;
};

// Checks that every expected key exists with the expected shape. Throws lsfa::Error listing the
// missing, mis-shaped keys (and, when `allow_unexpected_prefixes` does not cover them, the
// unexpected keys). `what` names the checkpoint in the message, e.g. "DINO ViT checkpoint x.pth".
void check_state_dict(const StateDict &sd, const std::vector<ExpectedTensor> &expected,
                      const std::string &what,
                      const std::vector<std::string> &ignored_prefixes = {});

}  // namespace lsfa
