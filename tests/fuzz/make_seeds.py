"""Seeds only Python writes, for the fuzz targets: small torch.save checkpoints (zip target), their
data.pkl and plain pickles of protocols 2 to 5 (pickle target), and tifffile TIFFs, contiguous and
planar (image target; first byte 0 = the xyz reader).

usage: make_seeds.py SEED_DIR
"""
import collections
import io
import os
import pickle
import sys
import zipfile

import numpy as np
import tifffile
import torch


def main():
    root = sys.argv[1]
    for sub in ("zip", "pickle", "image"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32)
    checkpoints = {
        "state_dict": collections.OrderedDict(
            [("w", torch.randn(2, 3)), ("b", torch.zeros(3, dtype=torch.float16)),
             ("n", torch.tensor(7))]),
        "views": {"a": base[2:8].view(2, 3), "t": base.view(3, 4).t(), "base": base},
        "nested": {"model": {"x": torch.ones(2)}, "epoch": 3, "lr": [1e-3, (1, "a")],
                   "flag": True, "none": None, "bytes": b"\x00\xff"},
    }
    for name, obj in checkpoints.items():
        buf = io.BytesIO()
        torch.save(obj, buf)
        data = buf.getvalue()
        with open(os.path.join(root, "zip", name + ".pth"), "wb") as f:
            f.write(data)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
            with open(os.path.join(root, "pickle", name + ".data.pkl"), "wb") as f:
                f.write(z.read(pkl))
    plain = {"a": [1, 2.5, "s", None, True], "b": (1, (2, (3,))), "c": {1: b"x"}, "d": 2**70}
    for proto in (2, 3, 4, 5):
        with open(os.path.join(root, "pickle", "plain%d.pkl" % proto), "wb") as f:
            f.write(pickle.dumps(plain, protocol=proto))
    xyz = np.linspace(-1, 1, 4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3)
    for name, kwargs, arr in (("contig", {}, xyz),
                              ("planar", {"planarconfig": "separate", "photometric": "rgb"},
                               np.ascontiguousarray(xyz.transpose(2, 0, 1)))):
        buf = io.BytesIO()
        tifffile.imwrite(buf, arr, **kwargs)
        with open(os.path.join(root, "image", "tifffile_%s.tiff" % name), "wb") as f:
            f.write(b"\x00" + buf.getvalue())


if __name__ == "__main__":
    main()
