"""Reference computations for tests/training/test_training.cpp, written directly from the formulas in
docs/training.md with PyTorch (float64). Usage: training_reference.py <mode> <dir> [<mode> <dir> ...].
Several "<mode> <dir>" pairs may follow each other (one Python start for all cases).
Inputs are .npy files that the C++ test wrote to <dir>; outputs are written there as .npy."""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load(d, name):
    return torch.from_numpy(np.load(os.path.join(d, name + ".npy")))


def save(d, name, t):
    np.save(os.path.join(d, name + ".npy"), t.detach().numpy())


def info_nce(a, b, tau):
    # Symmetric InfoNCE: row i of a and row i of b are the positive pair.
    if a.shape[0] == 0:
        return a.sum() * 0
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).t() / tau
    target = torch.arange(a.shape[0])
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def compactness(f, queue):
    if queue.shape[0] == 0 or f.shape[0] == 0:
        return f.sum() * 0
    nearest = torch.cdist(f.detach(), queue).argmin(1)
    return (f - queue[nearest]).norm(dim=1).mean()


def prototypes(f, assign):
    ids = sorted(set(assign.tolist()))
    cents = torch.stack([f[assign == k].mean(0) for k in ids])
    return cents, cents.mean(0)


def mode_info_nce(d, opts):
    a = load(d, "a").requires_grad_()
    b = load(d, "b").requires_grad_()
    loss = info_nce(a, b, opts["tau"])
    loss.backward()
    save(d, "loss", loss)
    save(d, "grad_a", a.grad)
    save(d, "grad_b", b.grad)


def mode_compactness(d, opts):
    f = load(d, "f").requires_grad_()
    q = load(d, "q")
    loss = compactness(f, q)
    loss.backward()
    save(d, "loss", loss)
    save(d, "grad_f", f.grad)


def mode_objective(d, opts):
    rgb = load(d, "rgb").requires_grad_()  # [B,N,C1]
    pts = load(d, "points").requires_grad_()  # [B,N,C2]
    fg = load(d, "foreground").bool()  # [B,N]
    pr, pp = load(d, "proj_rgb"), load(d, "proj_points")
    tau, lam = opts["tau"], opts["lambda"]
    B = rgb.shape[0]
    feats = [[], []]
    for b in range(B):
        sel = fg[b] if (opts["skip_background"] and fg[b].any()) else torch.ones_like(fg[b])
        feats[0].append(rgb[b][sel])
        feats[1].append(pts[b][sel])
    la = sum(info_nce(feats[0][b] @ pr, feats[1][b] @ pp, tau) for b in range(B)) / B
    cents, globs = [[], []], [[], []]
    for m in range(2):
        for b in range(B):
            c, g = prototypes(feats[m][b], load(d, "assign_%d_%d" % (m, b)))
            cents[m].append(c)
            globs[m].append(g)
    ga = info_nce(torch.stack(globs[0]) @ pr, torch.stack(globs[1]) @ pp, tau)
    # Per-channel compactness: distances divided by sqrt(width) of the modality.
    width = [rgb.shape[2], pts.shape[2]]
    sc = [1.0 / width[m] ** 0.5 if opts.get("per_channel", False) else 1.0 for m in range(2)]
    lc = sum(compactness(torch.cat(feats[m]), load(d, "local_queue_%d" % m)) * sc[m]
             for m in range(2))
    gc = sum(compactness(torch.cat(cents[m]), load(d, "global_queue_%d" % m)) * sc[m]
             for m in range(2))
    ifc = 1.0 if opts["use_ifc"] else 0.0
    clc = 1.0 if opts["use_clc"] else 0.0
    la, ga, lc, gc = la * clc, ga * clc, lc * ifc, gc * ifc
    total = (lc + gc) + lam * (la + ga)
    total.backward()
    for name, v in [("la", la), ("ga", ga), ("lc", lc), ("gc", gc), ("total", total)]:
        save(d, name, v)
    save(d, "grad_rgb", rgb.grad)
    save(d, "grad_points", pts.grad)


def mode_foreground(d, opts):
    valid = load(d, "valid").double()[None, None]
    v = F.adaptive_avg_pool2d(F.avg_pool2d(valid, 3, 1), opts["grid"])
    save(d, "foreground", (v > 0).flatten().long())


def mode_adamw(d, opts):
    params = [load(d, "param_%d" % i).clone().requires_grad_() for i in range(opts["params"])]
    opt = torch.optim.AdamW(params, lr=opts["lrs"][0], betas=(opts["beta1"], opts["beta2"]),
                            eps=opts["eps"], weight_decay=opts["weight_decay"], foreach=False)
    for s, lr in enumerate(opts["lrs"]):
        for group in opt.param_groups:
            group["lr"] = lr
        for i, p in enumerate(params):
            name = os.path.join(d, "grad_%d_%d.npy" % (s, i))
            p.grad = torch.from_numpy(np.load(name)) if os.path.exists(name) else None
        opt.step()
    for i, p in enumerate(params):
        save(d, "result_%d" % i, p)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: training_reference.py <mode> <dir> [<mode> <dir> ...]")
    for mode, directory in zip(args[0::2], args[1::2]):
        with open(os.path.join(directory, "options.json")) as fh:
            options = json.load(fh)
        globals()["mode_" + mode](directory, options)
    print("ok")
