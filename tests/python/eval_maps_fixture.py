"""A tiny MVTec 3D-AD style data set with anomaly maps, and the metrics `lsfa eval-maps` must print.

usage: eval_maps_fixture.py DIR
writes DIR/dataset/<category>/test/<defect>/{rgb,xyz,gt}/NNN.*, DIR/maps/<category>/test/<defect>/
NNN.tiff (written with tifffile), DIR/scores_all.csv (path,score for every sample) and
DIR/expected.json: per category and mean, the metrics with the map maxima as image scores
("map_max") and with the CSV scores ("csv").

Category "alpha" has 112 x 112 maps (upsampled to 224 bilinearly, values on a 1/64 grid so the
resize is exact in float32 and many scores tie) and 300 x 300 masks (nearest-resized to 224).
Category "beta" has 224 x 224 maps with continuous values and 224 x 224 masks.
"""
import json
import os
import sys

import numpy as np
import tifffile
from PIL import Image
from sklearn.metrics import roc_auc_score

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_reference import aupro_reference  # noqa: E402

SIZE = 224


def blob_mask(rng, side):
    mask = np.zeros((side, side), np.uint8)
    yy, xx = np.mgrid[0:side, 0:side]
    for _ in range(rng.integers(1, 3)):
        cy, cx = rng.integers(side // 8, side - side // 8, size=2)
        ry, rx = rng.uniform(side / 30, side / 8, size=2)
        mask[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0] = 255
    return mask


def nearest_224(mask):
    h, w = mask.shape
    rows = (np.arange(SIZE) * h) // SIZE
    cols = (np.arange(SIZE) * w) // SIZE
    return mask[rows][:, cols]


def bilinear_224(m):
    """Bilinear resize with half-pixel centres (align_corners=False), edges clamped."""
    def axis(n_in):
        src = np.maximum((np.arange(SIZE) + 0.5) * n_in / SIZE - 0.5, 0.0)
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, (src - i0).astype(np.float32)
    r0, r1, wr = axis(m.shape[0])
    c0, c1, wc = axis(m.shape[1])
    rows = m[r0] * (1 - wr)[:, None] + m[r1] * wr[:, None]
    return (rows[:, c0] * (1 - wc)[None, :] + rows[:, c1] * wc[None, :]).astype(np.float32)


def write_sample(root, category, defect, idx, gt_side, rng, with_gt):
    base = os.path.join(root, "dataset", category, "test", defect)
    name = "%03d" % idx
    for sub in ("rgb", "xyz", "gt"):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    rgb = rng.integers(0, 256, (gt_side, gt_side, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(os.path.join(base, "rgb", name + ".png"))
    tifffile.imwrite(os.path.join(base, "xyz", name + ".tiff"), np.zeros((4, 4, 3), np.float32))
    mask = blob_mask(rng, gt_side) if defect != "good" else np.zeros((gt_side, gt_side), np.uint8)
    if defect != "good" and idx % 2 == 1:
        mask[mask > 0] = 254  # class-id coded mask
    if with_gt:
        Image.fromarray(mask).save(os.path.join(base, "gt", name + ".png"))
    return mask


def metrics(maps, gts, scores, labels):
    pixel_labels = np.concatenate([(g > 0).ravel() for g in gts]).astype(int)
    pixel_scores = np.concatenate([m.ravel() for m in maps])
    return {
        "image_auroc": float(roc_auc_score(labels, scores)),
        "pixel_auroc": float(roc_auc_score(pixel_labels, pixel_scores)),
        "aupro_0_3": aupro_reference(maps, gts, 0.3)[0],
        "aupro_0_01": aupro_reference(maps, gts, 0.01)[0],
    }


def main():
    root = sys.argv[1]
    rng = np.random.default_rng(11)
    layout = {
        "alpha": {"map_side": 112, "gt_side": 300, "samples": [("crack", 3), ("good", 3),
                                                               ("hole", 2)]},
        "beta": {"map_side": 224, "gt_side": 224, "samples": [("good", 4), ("dent", 6)]},
    }
    csv_rows = ["path,score"]
    expected = {"map_max": {}, "csv": {}}
    for category, spec in layout.items():
        maps, gts, max_scores, csv_scores, labels = [], [], [], [], []
        for defect, count in spec["samples"]:
            for idx in range(count):
                # Good test samples: alternate between an all-zero gt file and no gt file.
                with_gt = defect != "good" or idx % 2 == 0
                mask = write_sample(root, category, defect, idx, spec["gt_side"], rng, with_gt)
                side = spec["map_side"]
                # The defect region (in map coordinates) scores higher, with overlap.
                region = nearest_224(mask)[:: SIZE // side, :: SIZE // side] > 0
                if category == "alpha":
                    m = rng.integers(0, 48, (side, side)).astype(np.float32)
                    m[region] += rng.integers(0, 20)
                    m = (m / 64.0).astype(np.float32)
                else:
                    m = rng.normal(0, 1, (side, side)).astype(np.float32)
                    m[region] += np.float32(rng.uniform(0.5, 2.0))
                rel = "%s/test/%s/%03d.tiff" % (category, defect, idx)
                out = os.path.join(root, "maps", rel)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                tifffile.imwrite(out, m)
                score = float(np.float32(rng.normal(0, 1) + (defect != "good")))
                csv_rows.append("%s,%r" % (rel, score))
                maps.append(bilinear_224(m) if side != SIZE else m)
                gts.append(nearest_224(mask))
                max_scores.append(float(m.max()))
                csv_scores.append(score)
                labels.append(int(defect != "good"))
        expected["map_max"][category] = metrics(maps, gts, max_scores, labels)
        expected["csv"][category] = metrics(maps, gts, csv_scores, labels)
        expected.setdefault("n_images", {})[category] = len(labels)
    for mode in ("map_max", "csv"):
        cats = list(layout)
        expected[mode]["mean"] = {k: float(np.mean([expected[mode][c][k] for c in cats]))
                                  for k in expected[mode][cats[0]]}
    with open(os.path.join(root, "scores_all.csv"), "w") as f:
        f.write("\n".join(csv_rows) + "\n")
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
