"""Reference fixtures for the data I/O tests, written and checked with the real tools (tifffile,
PIL, numpy, yaml-free text) so the C++ readers and writers are compared against them.

usage: data_fixtures.py write_xyz OUT H W      tifffile writes the known cloud pattern
       data_fixtures.py write_xyz_planar OUT H W   the same cloud as separate x, y, z planes
       data_fixtures.py check_xyz IN H W       tifffile reads IN, compares with the pattern
       data_fixtures.py write_map OUT H W D3   tifffile writes the known map (D3=1: H x W x 1)
       data_fixtures.py write_map_bigtiff OUT H W   the known map as a BigTIFF file
       data_fixtures.py check_map IN H W       tifffile reads IN, compares with the map pattern
       data_fixtures.py write_mask OUT         class-id coded mask (values 0, 253, 254, 255, 1)
       data_fixtures.py eyecandies DIR         an Eyecandies category with reference clouds
"""
import os
import sys

import numpy as np
import tifffile
from PIL import Image


def cloud_pattern(h, w):
    # Same formula as tests/data/test_data.cpp: distinct value per pixel and channel.
    v, u, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    a = (((v * w + u) * 3 + c) * 0.001 - 1.5).astype(np.float32)
    a[0, 0, :] = np.nan
    a[1, 1, :] = 0.0
    a[0, 1, :] = np.array([1e-30, -3.4e38, np.inf], dtype=np.float32)
    return a


def map_pattern(h, w):
    v, u = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    a = ((v * w + u) * 0.25 - 3.0).astype(np.float32)
    a[0, 0] = np.nan
    return a


def same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


def eyecandies(root):
    rng = np.random.default_rng(7)
    h, w = 24, 32
    focal = 711.11
    for split, n in (("train", 2), ("val", 1), ("test_public", 2)):
        data = os.path.join(root, split, "data")
        os.makedirs(data, exist_ok=True)
        for i in range(n):
            sid = "%03d" % i
            mind, maxd = 0.35 + 0.01 * i, 0.62
            raw = rng.integers(0, 65536, size=(h, w), dtype=np.uint16)
            Image.fromarray(raw).save(os.path.join(data, sid + "_depth.png"))
            with open(os.path.join(data, sid + "_info_depth.yaml"), "w") as f:
                f.write("normalization:\n  min: %r\n  max: %r\n" % (mind, maxd))
            ang = 0.3 + 0.1 * i
            pose = np.array([[np.cos(ang), -np.sin(ang), 0, 0.01],
                             [np.sin(ang), np.cos(ang), 0, -0.02],
                             [0, 0, 1, 0.4], [0, 0, 0, 1]])
            np.savetxt(os.path.join(data, sid + "_pose.txt"), pose)
            for k in range(6):
                img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
                Image.fromarray(img).save(os.path.join(data, "%s_image_%d.png" % (sid, k)))
                if k == 4:
                    np.save(os.path.join(data, sid + "_rgb_ref.npy"), img)
            mask = np.zeros((h, w), dtype=np.uint8)
            if split == "test_public" and i == 1:
                mask[3:6, 4:9] = 255
            Image.fromarray(mask).save(os.path.join(data, sid + "_mask.png"))
            # Reference loader arithmetic (as in the public Eyecandies preprocessing).
            depth = raw.astype(np.float32) / 65535.0 * (maxd - mind) + mind
            k4 = np.array([[focal, 0, w / 2, 0], [0, focal, h / 2, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
            jj, ii = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
            vec = np.stack([ii.ravel(), jj.ravel(), np.ones(h * w), 1.0 / depth.ravel()], axis=1)
            hom = np.linalg.inv(k4 @ pose) @ vec.T
            world = (depth.reshape(-1, 1) * hom.T)[:, :3].reshape(h, w, 3).astype(np.float32)
            tifffile.imwrite(os.path.join(root, "%s_%s_world.tiff" % (split, sid)), world)
            cam_hom = np.linalg.inv(k4) @ vec.T
            cam = (depth.reshape(-1, 1) * cam_hom.T)[:, :3].reshape(h, w, 3).astype(np.float32)
            tifffile.imwrite(os.path.join(root, "%s_%s_camera.tiff" % (split, sid)), cam)
            tifffile.imwrite(os.path.join(root, "%s_%s_depth.tiff" % (split, sid)), depth)


def main():
    cmd = sys.argv[1]
    if cmd == "write_xyz_planar":
        a = cloud_pattern(int(sys.argv[3]), int(sys.argv[4]))
        tifffile.imwrite(sys.argv[2], np.ascontiguousarray(a.transpose(2, 0, 1)),
                         planarconfig="separate", photometric="rgb")
    elif cmd == "write_xyz":
        tifffile.imwrite(sys.argv[2], cloud_pattern(int(sys.argv[3]), int(sys.argv[4])))
    elif cmd == "check_xyz":
        got = tifffile.imread(sys.argv[2])
        want = cloud_pattern(int(sys.argv[3]), int(sys.argv[4]))
        with tifffile.TiffFile(sys.argv[2]) as t:
            page = t.pages[0]
            if page.compression != 1:
                sys.exit("compressed: %s" % page.compression)
            if page.planarconfig != 1:
                sys.exit("not pixel-interleaved: %s" % page.planarconfig)
        if not same(got, want):
            sys.exit("mismatch: shape %s dtype %s first %s" % (got.shape, got.dtype, got[0, :3]))
    elif cmd == "write_map":
        a = map_pattern(int(sys.argv[3]), int(sys.argv[4]))
        if sys.argv[5] == "1":
            a = a[:, :, None]
        tifffile.imwrite(sys.argv[2], a)
    elif cmd == "write_map_bigtiff":
        tifffile.imwrite(sys.argv[2], map_pattern(int(sys.argv[3]), int(sys.argv[4])), bigtiff=True)
    elif cmd == "check_map":
        got = tifffile.imread(sys.argv[2])
        if not same(got, map_pattern(int(sys.argv[3]), int(sys.argv[4]))):
            sys.exit("map mismatch: shape %s dtype %s" % (got.shape, got.dtype))
    elif cmd == "write_mask":
        m = np.zeros((5, 6), dtype=np.uint8)
        m[0, 0], m[1, 2], m[2, 3], m[4, 5] = 253, 254, 255, 1
        Image.fromarray(m).save(sys.argv[2])
    elif cmd == "eyecandies":
        eyecandies(sys.argv[2])
    else:
        sys.exit("unknown command " + cmd)
    print("OK")


if __name__ == "__main__":
    main()
