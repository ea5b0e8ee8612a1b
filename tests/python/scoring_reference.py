"""Reference implementations for tests/model/test_scoring.cpp, written from docs/scoring.md with torch,
numpy and scipy. Arrays travel as raw little-endian files in a directory given on the command line.

usage: scoring_reference.py <task> <dir> <sizes...>
"""
import sys

import numpy as np
import scipy.ndimage

# torch is imported only by the tasks that use it: importing it takes seconds.


def load(d, name, dtype, shape):
    return np.fromfile(f"{d}/{name}", dtype=dtype).reshape(shape)


def save(d, name, array):
    np.ascontiguousarray(array).tofile(f"{d}/{name}")


def projection(d, s, g, c, grid):
    """docs/scoring.md literally: 3-NN inverse squared distance interpolation, scatter, pools."""
    import torch
    xyz = torch.from_numpy(load(d, "xyz.f64", np.float64, (s, s, 3)))
    centers = torch.from_numpy(load(d, "centers.f64", np.float64, (g, 3)))
    feats = torch.from_numpy(load(d, "feats.f64", np.float64, (g, c))).requires_grad_(True)
    weight = torch.from_numpy(load(d, "weight.f64", np.float64, (c, grid, grid)))
    flat = xyz.reshape(-1, 3)
    valid = (flat != 0).any(dim=1)
    pts = flat[valid]
    d2 = ((pts[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    d2_near, idx = torch.topk(d2, 3, dim=1, largest=False)
    w = 1.0 / (d2_near + 1e-8)
    w = w / w.sum(dim=1, keepdim=True)
    interp = (w[:, :, None] * feats[idx]).sum(1)
    full = torch.zeros(s * s, c, dtype=torch.float64)
    full = full.index_put((valid.nonzero()[:, 0],), interp)
    fmap = full.t().reshape(1, c, s, s)
    pooled = torch.nn.functional.avg_pool2d(fmap, 3, stride=1)
    out = torch.nn.functional.adaptive_avg_pool2d(pooled, (grid, grid))[0]
    (out * weight).sum().backward()
    save(d, "grid_ref.f64", out.detach().numpy())
    save(d, "grad_ref.f64", feats.grad.numpy())


def coreset(d, n, dim, count):
    """Greedy farthest-point selection, exact differences in float64, first index on ties."""
    z = load(d, "z.f64", np.float64, (n, dim))
    chosen = [0]
    min_d = np.linalg.norm(z - z[0], axis=1)
    min_d[0] = 0.0
    while len(chosen) < count:
        nxt = int(np.argmax(min_d))
        if min_d[nxt] <= 0.0:
            break
        chosen.append(nxt)
        min_d = np.minimum(min_d, np.linalg.norm(z - z[nxt], axis=1))
        min_d[nxt] = 0.0
    save(d, "idx_ref.i64", np.array(chosen, dtype=np.int64))


def knn(d, q, m, dim, k):
    """Brute force: all pairwise distances in float64 from the float32 values."""
    queries = load(d, "q.f32", np.float32, (q, dim)).astype(np.float64)
    bank = load(d, "bank.f32", np.float32, (m, dim)).astype(np.float64)
    dist = np.sqrt(((queries[:, None, :] - bank[None, :, :]) ** 2).sum(-1))
    idx = np.argsort(dist, axis=1, kind="stable")[:, :k]
    save(d, "dist_ref.f64", np.take_along_axis(dist, idx, axis=1))
    save(d, "idx_ref.i64", idx.astype(np.int64))


def reweight(d, trials, n, m, dim):
    """Transcription of M3DM's compute_s_s_map image score (float64), one line per trial."""
    import torch
    for t in range(trials):
        patch = load(d, f"patch{t}.f32", np.float32, (n, dim)).astype(np.float64)
        bank = load(d, f"bank{t}.f32", np.float32, (m, dim)).astype(np.float64)
        print(f"{reweight_one(torch, torch.from_numpy(patch), torch.from_numpy(bank)):.17g}")


def reweight_one(torch, patch, bank):
    dist = torch.cdist(patch, bank, compute_mode="donot_use_mm_for_euclid_dist")
    min_val, min_idx = torch.min(dist, dim=1)
    s_idx = torch.argmax(min_val)
    s_star = torch.max(min_val)
    m_test = patch[s_idx].unsqueeze(0)
    m_star = bank[min_idx[s_idx]].unsqueeze(0)
    w_dist = torch.cdist(m_star, bank, compute_mode="donot_use_mm_for_euclid_dist")
    _, nn_idx = torch.topk(w_dist, k=3, largest=False)
    m_star_knn = torch.linalg.norm(m_test - bank[nn_idx[0, 1:]], dim=1)
    D = torch.sqrt(torch.tensor(patch.shape[1], dtype=torch.float64))
    w = 1 - (torch.exp(s_star / D) / (torch.sum(torch.exp(m_star_knn / D))))
    s = w * s_star
    return s.item()


def blur(d, g, size, sigma, h, w):
    """Bilinear (align_corners False) then scipy.ndimage.gaussian_filter (mode reflect); also the
    plain blur of a small h x w map."""
    import torch
    scores = torch.from_numpy(load(d, "scores.f64", np.float64, (g, g)))
    up = torch.nn.functional.interpolate(scores[None, None], size=(size, size), mode="bilinear",
                                         align_corners=False)[0, 0].numpy()
    save(d, "up_ref.f64", up)
    save(d, "map_ref.f64", scipy.ndimage.gaussian_filter(up, sigma=sigma))
    x = load(d, "x.f64", np.float64, (h, w))
    save(d, "blur_ref.f64", scipy.ndimage.gaussian_filter(x, sigma=sigma))


def quantiles(d, n):
    values = load(d, "values.f64", np.float64, (n,))
    qs = [0.0, 0.5, 0.9, 0.99, 0.999, 1.0]
    print(" ".join(f"{np.quantile(values, q):.17g}" for q in qs))
    print(f"{values.mean():.17g} {values.std():.17g}")


def main():
    task, d, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if task == "projection":
        projection(d, *map(int, rest))
    elif task == "coreset":
        coreset(d, *map(int, rest))
    elif task == "knn":
        knn(d, *map(int, rest))
    elif task == "reweight":
        reweight(d, *map(int, rest))
    elif task == "blur":
        blur(d, int(rest[0]), int(rest[1]), float(rest[2]), int(rest[3]), int(rest[4]))
    elif task == "quantiles":
        quantiles(d, int(rest[0]))
    else:
        sys.exit(f"unknown task {task}")


if __name__ == "__main__":
    main()
