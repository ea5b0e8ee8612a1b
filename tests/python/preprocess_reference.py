"""Reference results for tests/preprocess/test_preprocess.cpp, computed with the tools the reference code uses
(PIL for the RGB and mask resizes, torch for the cloud resize and the normalisation).

Usage:
  bicubic IN.bin H W C OUT_W OUT_H OUT.bin   PIL Image.resize((OUT_W, OUT_H), BICUBIC) of raw uint8
  normalize IN.bin N OUT.bin                 float32 (x / 255 - mean) / std of N RGB pixels
  dbscan XYZ.bin H W OUT.bin                 reference cluster step: sklearn DBSCAN(eps 0.006,
                                             min 30) on the points with all coordinates non-zero,
                                             uint8 mask of the points in the most frequent label
  chain RGB.bin XYZ.bin H W RGB_OUT.bin XYZ_OUT.bin
                                             the whole reference chain (plane by least squares
                                             on the border inliers, numpy padding, sklearn DBSCAN,
                                             PIL bicubic, torch normalisation and nearest resize)
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


def largest_dbscan_cluster(pts):
    """Mask of the points the reference keeps: DBSCAN on the all-non-zero points, most frequent
    label (as M3DM's connected_components_cleaning)."""
    from sklearn.cluster import DBSCAN

    nonzero = np.nonzero(np.all(pts != 0, axis=1))[0]
    labels = DBSCAN(eps=0.006, min_samples=30).fit(pts[nonzero].astype(np.float64)).labels_
    ids, sizes = np.unique(labels, return_counts=True)
    kept = np.zeros(len(pts), dtype=bool)
    kept[nonzero[labels == ids[np.argmax(sizes)]]] = True
    return kept


def dbscan(args):
    src, h, w, dst = args
    pts = np.fromfile(src, dtype=np.float32).reshape(int(h) * int(w), 3)
    largest_dbscan_cluster(pts).astype(np.uint8).tofile(dst)


def chain(args):
    import math

    import torch

    rgb_path, xyz_path, h, w, rgb_out, xyz_out = args
    h, w = int(h), int(w)
    rgb = np.fromfile(rgb_path, dtype=np.uint8).reshape(h, w, 3).copy()
    pc = np.fromfile(xyz_path, dtype=np.float32).reshape(h, w, 3).copy()

    # 1. plane on the 10-pixel border (least squares, refit on the 0.004 inliers), remove < 0.005
    edge = np.concatenate([pc[:10].reshape(-1, 3), pc[-10:].reshape(-1, 3),
                           pc[:, :10].reshape(-1, 3), pc[:, -10:].reshape(-1, 3)])
    edge = edge[np.all(edge != 0, axis=1)].astype(np.float64)
    use = edge
    for _ in range(3):
        centre = use.mean(axis=0)
        normal = np.linalg.svd(use - centre, full_matrices=False)[2][-1]
        d = -normal @ centre
        use = edge[np.abs(edge @ normal + d) < 0.004]
    flat = pc.reshape(-1, 3)
    valid = np.any(flat != 0, axis=1)
    on_plane = valid & (np.abs(flat.astype(np.float64) @ normal + d) < 0.005)
    flat[on_plane] = 0
    rgb.reshape(-1, 3)[on_plane] = 0

    # 2. pad to a square, sides rounded up to 100
    side = max(int(math.ceil(h / 100.0)) * 100, int(math.ceil(w / 100.0)) * 100)
    a, b = (side - h) // 2, (side - w) // 2
    pad = ((a, side - a - h), (b, side - b - w), (0, 0))
    pc, rgb = np.pad(pc, pad), np.pad(rgb, pad)

    # 3. largest DBSCAN cluster
    flat, flat_rgb = pc.reshape(-1, 3), rgb.reshape(-1, 3)
    drop = np.all(flat != 0, axis=1) & ~largest_dbscan_cluster(flat)
    flat[drop] = 0
    flat_rgb[drop] = 0

    # 4. RGB: PIL bicubic, ToTensor, Normalize
    small = np.asarray(Image.fromarray(rgb, "RGB").resize((224, 224), Image.BICUBIC))
    t = torch.from_numpy(small.copy()).permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    mean = torch.tensor([0.485, 0.456, 0.406], dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], dtype=torch.float32).view(3, 1, 1)
    t.sub(mean).div(std).numpy().astype(np.float32).tofile(rgb_out)

    # 5. cloud: torch nearest
    tpc = torch.from_numpy(pc).permute(2, 0, 1).unsqueeze(0).contiguous()
    out = torch.nn.functional.interpolate(tpc, size=(224, 224), mode="nearest")
    out[0].permute(1, 2, 0).contiguous().numpy().astype(np.float32).tofile(xyz_out)


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
    {"bicubic": bicubic, "normalize": normalize, "nearest": nearest, "dbscan": dbscan,
     "chain": chain}[sys.argv[1]](sys.argv[2:])
