"""Writes a Point-MAE checkpoint for the `small` preset in the official pretrain.pth layout
(torch.save of {'base_model': {'module.MAE_encoder.<key>': tensor}, 'epoch': ...}) with random
weights: a real file from the real writer, for tests that need checkpoint files."""
import collections
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backbone_reference as ref  # noqa: E402


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    g = torch.Generator().manual_seed(seed)
    model = ref.PointTransformer(32, 256, 192, 4, 3, [1, 2, 3])
    ref.randomize(model, g)
    sd = collections.OrderedDict(
        ("module.MAE_encoder." + k, v) for k, v in model.state_dict().items()
        if not k.startswith("group_divider"))
    torch.save({"base_model": sd, "optimizer": {}, "epoch": 300, "metrics": {"acc": 0.0},
                "best_metrics": {"acc": 0.0}}, out)


if __name__ == "__main__":
    main()
