"""Reference values for the metrics tests, computed independently of liblsfa.

ROC AUC and ROC curves come from scikit-learn. AUPRO is a direct Python transcription of the
definition in docs/metrics.md (the MVTec 3D-AD evaluation code's), with scipy.ndimage.label for the
8-connected ground-truth regions.

usage: metrics_reference.py roc OUT.json       random and tie-heavy ROC cases
       metrics_reference.py aupro OUT.json     random maps and blob masks, with ties
"""
import json
import sys

import numpy as np
from scipy import ndimage
from sklearn.metrics import roc_auc_score, roc_curve


def aupro_reference(maps, gts, limit, num_thresholds=100):
    structure = np.ones((3, 3), dtype=int)  # 8-connectivity
    ok_scores = []
    regions = []
    for m, g in zip(maps, gts):
        labeled, n = ndimage.label(g > 0, structure)
        ok_scores.append(m[labeled == 0])
        for k in range(1, n + 1):
            regions.append(m[labeled == k])
    ok = np.sort(np.concatenate(ok_scores))
    positions = np.linspace(0, len(ok) - 1, num=num_thresholds, dtype=int)
    fprs, pros = [1.0], [1.0]
    for pos in positions:
        threshold = ok[pos]
        fprs.append(1.0 - (pos + 1) / len(ok))
        pros.append(float(np.mean([np.mean(r > threshold) for r in regions])))
    order = np.argsort(np.array(fprs), kind="stable")
    x = np.array(fprs)[order]
    y = np.array(pros)[order]
    # Trapezoids of every segment, clipped at the limit (linear interpolation inside a segment).
    area = 0.0
    for i in range(1, len(x)):
        x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
        if x0 >= limit:
            break
        if x1 > limit:
            y1 = y0 + (y1 - y0) * (limit - x0) / (x1 - x0)
            x1 = limit
        area += 0.5 * (y0 + y1) * (x1 - x0)
    return area / limit, x.tolist(), y.tolist(), len(regions)


def random_blob_mask(rng, h, w):
    mask = np.zeros((h, w), dtype=np.uint8)
    kind = rng.integers(0, 4)
    if kind == 0:  # good image
        return mask
    if kind == 1:  # sparse pixels: many diagonal-only contacts, 4- and 8-connectivity differ
        mask[rng.random((h, w)) < 0.06] = 255
        return mask
    yy, xx = np.mgrid[0:h, 0:w]
    for _ in range(rng.integers(1, 4)):  # ellipses
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.uniform(1, h / 4), rng.uniform(1, w / 4)
        mask[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0] = 255
    if kind == 3:  # class-id coded values as in MVTec 3D-AD
        mask[mask > 0] = rng.choice([253, 254, 255])
    return mask


def aupro_cases():
    rng = np.random.default_rng(7)
    cases = []
    for case in range(6):
        n, h, w = int(rng.integers(3, 8)), int(rng.integers(20, 48)), int(rng.integers(20, 48))
        gts = [random_blob_mask(rng, h, w) for _ in range(n)]
        if not any((g > 0).any() for g in gts):
            gts[0][h // 2, w // 2] = 255
        maps = []
        for g in gts:
            m = rng.normal(0.0, 1.0, (h, w)) + 1.2 * (g > 0) * rng.uniform(0.3, 1.5)
            if case % 2 == 1:
                m = np.round(m * 2) / 2  # few distinct values: heavy ties at the thresholds
            maps.append(m.astype(np.float32))
        if case == 5:  # fewer OK pixels than thresholds: repeated positions
            gts = [np.full((h, w), 255, np.uint8) for _ in range(n)]
            gts[0][0, :40] = 0
        a30, fpr, pro, n_regions = aupro_reference(maps, gts, 0.3)
        a01, _, _, _ = aupro_reference(maps, gts, 0.01)
        labels = np.concatenate([(g > 0).ravel() for g in gts]).astype(int)
        scores = np.concatenate([m.ravel() for m in maps])
        cases.append({
            "shape": [n, h, w],
            "maps": [float(v) for v in np.stack(maps).ravel()],
            "gts": [int(v) for v in np.stack(gts).ravel()],
            "aupro_0_3": a30,
            "aupro_0_01": a01,
            "pro_fpr": fpr,
            "pro_pro": pro,
            "n_regions": n_regions,
            "pixel_auroc": float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels)
            else None,
        })
    return cases


def roc_cases():
    rng = np.random.default_rng(3)
    cases = []
    for case in range(12):
        n = int(rng.integers(2, 400))
        labels = (rng.random(n) < rng.uniform(0.1, 0.9)).astype(np.uint8)
        labels[0], labels[1] = 0, 1  # both classes present
        rng.shuffle(labels)
        scores = rng.normal(0.0, 1.0, n) + labels * rng.uniform(0.0, 2.0)
        if case % 3 == 1:
            scores = np.round(scores)  # a handful of distinct values
        if case % 3 == 2:
            scores = np.round(scores * 4) / 4
        scores = scores.astype(np.float32)
        fpr, tpr, _ = roc_curve(labels, scores)
        cases.append({
            "scores": [float(v) for v in scores],
            "labels": [int(v) for v in labels],
            "auc": float(roc_auc_score(labels, scores)),
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
        })
    return cases


def main():
    mode, out = sys.argv[1], sys.argv[2]
    cases = roc_cases() if mode == "roc" else aupro_cases()
    with open(out, "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
