"""Reference results for tests/test_preprocess.cpp, computed with the tools the reference code uses
(PIL for the RGB and mask resizes, torch for the cloud resize and the normalisation).

Usage:
  bicubic IN.bin H W C OUT_W OUT_H OUT.bin   PIL Image.resize((OUT_W, OUT_H), BICUBIC) of raw uint8
  normalize IN.bin N OUT.bin                 float32 (x / 255 - mean) / std of N RGB pixels
  nearest IN:OUT[,IN:OUT...]                 JSON {"IN:OUT": {numpy, torch, pil}}: numpy
                                             floor(dst*in/out), torch interpolate 'nearest' and
                                             PIL NEAREST source indices
"""
import json
import sys

import numpy as np
from PIL import Image


def bicubic(args):
    src, h, w, c, ow, oh, dst = args
    h, w, c, ow, oh = int(h), int(w), int(c), int(ow), int(oh)
    a = np.fromfile(src, dtype=np.uint8).reshape(h, w, c)
    img = Image.fromarray(a[:, :, 0] if c == 1 else a, "L" if c == 1 else "RGB")
    out = np.asarray(img.resize((ow, oh), Image.BICUBIC), dtype=np.uint8)
    out.tofile(dst)


def normalize(args):
    import torch  # imported only where needed: it is slow to load

    src, n, dst = args
    x = torch.from_numpy(np.fromfile(src, dtype=np.uint8).reshape(int(n), 3).copy())
    t = x.to(torch.float32).div(255)
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float32)
    std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float32)
    t = t.sub(mean).div(std)
    t.numpy().astype(np.float32).tofile(dst)


def nearest(args):
    import torch

    result = {}
    for pair in args[0].split(","):
        n_in, n_out = (int(v) for v in pair.split(":"))
        exact = (np.arange(n_out, dtype=np.int64) * n_in) // n_out
        src = torch.arange(n_in, dtype=torch.float64).reshape(1, 1, 1, n_in)
        tor = torch.nn.functional.interpolate(src, size=(1, n_out), mode="nearest").reshape(-1)
        # Mode "I" (int32) keeps source indices above 255 intact.
        img = Image.fromarray(np.arange(n_in, dtype=np.int32).reshape(1, n_in), "I")
        pil = np.asarray(img.resize((n_out, 1), Image.NEAREST)).reshape(-1)
        result[pair] = {"numpy": exact.tolist(), "torch": [int(v) for v in tor.tolist()],
                        "pil": [int(v) for v in pil.tolist()]}
    print(json.dumps(result))


if __name__ == "__main__":
    {"bicubic": bicubic, "normalize": normalize, "nearest": nearest}[sys.argv[1]](sys.argv[2:])
