"""Checks the tensors `lsfa features` writes: names, shapes, dtypes, and that the 56x56 grids are
the documented functions of the native tokens (RGB: 2x nearest upsampling; points: zero where no
valid pixel contributes)."""
import sys

import numpy as np

import safetensors_np


def main():
    t, meta = safetensors_np.load(sys.argv[1])
    for name in ("rgb_tokens", "rgb_grid", "point_centers", "point_groups", "point_grid"):
        assert name in t, f"missing {name}"
        assert t[name].dtype == np.float32, f"{name} is {t[name].dtype}"
    c1 = t["rgb_tokens"].shape[0]
    assert t["rgb_tokens"].shape == (c1, 28, 28), t["rgb_tokens"].shape
    assert t["rgb_grid"].shape == (c1, 56, 56)
    up = t["rgb_tokens"].repeat(2, axis=1).repeat(2, axis=2)
    assert np.array_equal(up, t["rgb_grid"]), "rgb_grid is not the 2x nearest upsampling"
    g, c3 = t["point_groups"].shape
    assert t["point_centers"].shape == (g, 3)
    assert t["point_grid"].shape == (c3, 56, 56)
    assert np.isfinite(t["point_grid"]).all()
    # Group centres are measured points: non-zero, within a plausible working distance.
    assert (np.linalg.norm(t["point_centers"], axis=1) > 0.1).all()
    assert "backbones" in meta and "preprocess" in meta
    print("ok", {k: v.shape for k, v in t.items()})


if __name__ == "__main__":
    main()
