"""Writes parity fixtures for tests/backbones/test_backbones.cpp: random weights in the official checkpoint
layouts plus inputs and reference outputs computed by backbone_reference.py.

  vit OUT --patch P --dim D --depth L --heads H --grid G --height H --width W [--batch B]
  point_mae OUT --dim D --depth L --heads H --groups G --group-size K --fetch 1,2,3 --side S
                [--batch-stats]
  groups OUT --case NAME --count G --k K
  all OUT        every fixture the C++ suite uses, in subfolders of OUT (one Python start-up)

Each writes OUT/weights.* (weights) and OUT/io.safetensors (inputs and expected outputs)."""

import argparse
import os
import sys
from collections import OrderedDict

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import backbone_reference as ref  # noqa: E402


def write_weights(out, state_dict, layout):
    """Weights as the official files hold them: "dino" = torch.save'd state dict (OrderedDict),
    "safetensors" = the same keys as safetensors, "point_mae" = the Point-MAE release layout
    (a dict with base_model = {'module.MAE_encoder.' + key: tensor, decoder entries ...})."""
    if layout == "safetensors":
        ref.save_safetensors(os.path.join(out, "weights.safetensors"), state_dict)
        return
    if layout == "dino":
        torch.save(state_dict, os.path.join(out, "weights.pth"))
        return
    base = OrderedDict(("module.MAE_encoder." + k, v) for k, v in state_dict.items())
    dim = state_dict["norm.weight"].shape[0]
    base["module.mask_token"] = torch.zeros(1, 1, dim)
    base["module.decoder_pos_embed.0.weight"] = torch.ones(128, 3)
    base["module.MAE_decoder.blocks.0.norm1.weight"] = torch.ones(dim)
    base["module.increase_dim.0.weight"] = torch.ones(96, dim, 1)
    torch.save({"base_model": base, "optimizer": {"state": {}, "param_groups": [{"lr": 5e-4}]},
                "epoch": 300, "metrics": {}, "best_metrics": {}},
               os.path.join(out, "weights.pth"))


def cmd_vit(a):
    g = torch.Generator().manual_seed(a.seed)
    model = ref.VisionTransformer(img_size=a.grid * a.patch, patch_size=a.patch, embed_dim=a.dim,
                                  depth=a.depth, num_heads=a.heads)
    ref.randomize(model, g)
    model.eval()
    image = torch.randn(a.batch, 3, a.height, a.width, generator=g)
    with torch.no_grad():
        out = model.feature_map(image)
    write_weights(a.out, model.state_dict(), a.layout)
    ref.save_safetensors(os.path.join(a.out, "io.safetensors"), {"input": image, "output": out})


def organized_cloud(side, rng):
    """A bumpy surface with holes: invalid pixels (0,0,0), some isolated points near the origin."""
    v, u = np.meshgrid(np.linspace(-1, 1, side), np.linspace(-1, 1, side), indexing="ij")
    z = 0.5 + 0.05 * np.sin(3 * u) * np.cos(2 * v) + 0.002 * rng.standard_normal(u.shape)
    cloud = np.stack([0.1 * u, 0.1 * v, z], axis=-1).astype(np.float32)
    holes = rng.random(u.shape) < 0.3
    cloud[holes] = 0
    near_origin = rng.random(u.shape) < 0.01
    cloud[near_origin] = (0.01 * rng.standard_normal((near_origin.sum(), 3))).astype(np.float32)
    return cloud


def cmd_point_mae(a):
    g = torch.Generator().manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    fetch = [int(x) for x in a.fetch.split(",")]
    model = ref.PointTransformer(a.group_size, a.groups, a.dim, a.depth, a.heads, fetch)
    ref.randomize(model, g)
    # Batch statistics: the reference never calls eval(), so its BatchNorm layers are in train mode.
    model.train(a.batch_stats)
    cloud = organized_cloud(a.side, rng)
    flat = cloud.reshape(-1, 3)
    valid = np.nonzero(np.any(flat != 0, axis=1))[0]
    with torch.no_grad():
        feats, center, center_idx, idx = model(torch.from_numpy(flat[valid]))
    sd = {k: v for k, v in model.state_dict().items() if not k.startswith("group_divider")}
    write_weights(a.out, sd, "point_mae")
    ref.save_safetensors(os.path.join(a.out, "io.safetensors"), {
        "organized": torch.from_numpy(cloud), "features": feats, "centers": center,
        "center_indices": torch.from_numpy(center_idx), "neighbor_indices": torch.from_numpy(idx),
        "pixel_indices": torch.from_numpy(valid.astype(np.int64))})


def group_case(name, rng):
    if name == "random":
        return rng.standard_normal((3000, 3)).astype(np.float32)
    if name == "grid":
        # Integer lattice: many exactly equal distances, so tie-breaking decides.
        ax = np.arange(-6, 7, dtype=np.float32)
        pts = np.stack(np.meshgrid(ax, ax, ax[:5], indexing="ij"), -1).reshape(-1, 3)
        return pts[rng.permutation(len(pts))]
    if name == "near_origin":
        # Index 0 and a cluster of other points lie within |p|^2 <= 1e-3, plus duplicates.
        pts = rng.standard_normal((800, 3)).astype(np.float32)
        pts[:60] = 0.01 * rng.standard_normal((60, 3)).astype(np.float32)
        pts[100:200] = pts[200:300]
        return pts
    if name == "few":
        # Fewer candidates than centres: picks repeat like the reference kernel.
        pts = rng.standard_normal((40, 3)).astype(np.float32)
        pts[::3] = 0.001
        return pts
    raise SystemExit("unknown case " + name)


def cmd_groups(a):
    rng = np.random.default_rng(a.seed)
    pts = group_case(a.case, rng)
    fps = ref.farthest_point_sample(pts, a.count)
    queries = pts[fps]
    nn_idx = ref.knn(pts, queries, a.k)
    ref.save_safetensors(os.path.join(a.out, "io.safetensors"), {
        "points": torch.from_numpy(pts), "fps": torch.from_numpy(fps),
        "knn": torch.from_numpy(nn_idx)})


# The fixtures of tests/backbones/test_backbones.cpp: subfolder -> arguments.
ALL_FIXTURES = {
    "vit_small": ["vit"],
    "vit_small_st": ["vit", "--layout", "safetensors"],
    "vit_batch2": ["vit", "--batch", "2", "--seed", "5"],
    "vit_interp": ["vit", "--height", "48", "--width", "90", "--seed", "6"],
    "vit_interp_up": ["vit", "--height", "100", "--width", "76", "--seed", "7"],
    "vit_b8_depth2": ["vit", "--dim", "768", "--heads", "12", "--grid", "28", "--height", "224",
                      "--width", "224", "--depth", "2", "--seed", "8"],
    "pmae_eval": ["point_mae"],
    "pmae_batch": ["point_mae", "--batch-stats", "--seed", "9"],
    "pmae_paper_widths": ["point_mae", "--dim", "384", "--heads", "6", "--groups", "128",
                          "--group-size", "32", "--side", "64", "--seed", "10"],
    "vit_small_preset": ["vit", "--depth", "4", "--grid", "28", "--height", "224", "--width",
                         "224", "--seed", "12"],
    "pmae_small_preset": ["point_mae", "--dim", "192", "--heads", "3", "--groups", "256",
                          "--group-size", "32", "--side", "64", "--seed", "11"],
    # Shapes of no preset: the sizes must come from the files.
    "vit_w128_d3": ["vit", "--dim", "128", "--heads", "2", "--depth", "3", "--grid", "28",
                    "--height", "224", "--width", "224", "--seed", "13"],
    "pmae_w128_d12": ["point_mae", "--dim", "128", "--heads", "2", "--depth", "12", "--groups",
                      "256", "--group-size", "32", "--side", "64", "--seed", "14"],
    "groups_random": ["groups", "--case", "random", "--count", "200", "--k", "32"],
    "groups_grid": ["groups", "--case", "grid", "--count", "100", "--k", "27"],
    "groups_near_origin": ["groups", "--case", "near_origin", "--count", "120", "--k", "20"],
    "groups_few": ["groups", "--case", "few", "--count", "40", "--k", "10"],
}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "all":
        for name, args in ALL_FIXTURES.items():
            out = os.path.join(argv[1], name)
            os.makedirs(out, exist_ok=True)
            main([args[0], out] + args[1:])
        return
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("vit")
    v.add_argument("out")
    for name, default in [("patch", 8), ("dim", 192), ("depth", 2), ("heads", 3), ("grid", 8),
                          ("height", 64), ("width", 64), ("batch", 1), ("seed", 1)]:
        v.add_argument("--" + name, type=int, default=default)
    v.add_argument("--layout", default="dino", choices=["dino", "safetensors"])
    m = sub.add_parser("point_mae")
    m.add_argument("out")
    for name, default in [("dim", 128), ("depth", 4), ("heads", 2), ("groups", 64),
                          ("group_size", 16), ("side", 32), ("seed", 2)]:
        m.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=default)
    m.add_argument("--fetch", default="1,2,3")
    m.add_argument("--batch-stats", action="store_true")
    gr = sub.add_parser("groups")
    gr.add_argument("out")
    gr.add_argument("--case", default="random")
    gr.add_argument("--count", type=int, default=64)
    gr.add_argument("--k", type=int, default=16)
    gr.add_argument("--seed", type=int, default=3)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    {"vit": cmd_vit, "point_mae": cmd_point_mae, "groups": cmd_groups}[a.cmd](a)


if __name__ == "__main__":
    main()
