"""Independent check of a synthetic data set with tifffile, PIL and numpy.

usage: check_synth.py DIR
For every category under DIR: xyz TIFFs are uncompressed float32 H x W x 3 whose points follow the
pinhole model of <category>/intrinsics.json (x = (u - cx) z / fx, y = (v - cy) z / fy, z in
0.4..0.6 m, invalid points exactly (0,0,0)); RGB PNGs are 8-bit RGB of the same size; masks are
0/255; stream depth PNGs are 16-bit and labels.csv counts match the stream masks.
Prints "OK <number of files checked>" or exits non-zero naming the first problem.
"""
import csv
import json
import os
import sys

import numpy as np
import tifffile
from PIL import Image


def fail(msg):
    sys.exit("check_synth: " + msg)


def check_cloud(path, cam):
    with tifffile.TiffFile(path) as t:
        page = t.pages[0]
        if page.compression != 1:
            fail("%s is compressed (%s)" % (path, page.compression))
        xyz = page.asarray()
    h, w = cam["height"], cam["width"]
    if xyz.dtype != np.float32 or xyz.shape != (h, w, 3):
        fail("%s has dtype %s shape %s" % (path, xyz.dtype, xyz.shape))
    if not np.all(np.isfinite(xyz)):
        fail(path + " has non-finite values")
    z = xyz[..., 2]
    valid = z > 0
    if not np.all(xyz[~valid] == 0):
        fail(path + ": invalid points are not (0,0,0)")
    if valid.mean() < 0.95:
        fail("%s: only %.3f of the points are valid" % (path, valid.mean()))
    if z[valid].min() < 0.4 or z[valid].max() > 0.6:
        fail("%s: depth range %f..%f" % (path, z[valid].min(), z[valid].max()))
    v, u = np.nonzero(valid)
    zz = z[valid].astype(np.float64)
    x_ref = (u - cam["cx"]) * zz / cam["fx"]
    y_ref = (v - cam["cy"]) * zz / cam["fy"]
    if np.abs(xyz[..., 0][valid] - x_ref).max() > 1e-6 or np.abs(xyz[..., 1][valid] - y_ref).max() > 1e-6:
        fail(path + ": points do not follow the pinhole model of intrinsics.json")
    # z is a multiple of the depth scale (the cloud comes from a 16-bit depth image).
    units = zz / cam["depth_scale"]
    if np.abs(units - np.round(units)).max() > 1e-2:
        fail(path + ": z is not quantised to the depth scale")


def main():
    root = sys.argv[1]
    checked = 0
    for cat in sorted(os.listdir(root)):
        cdir = os.path.join(root, cat)
        with open(os.path.join(cdir, "intrinsics.json")) as f:
            cam = json.load(f)
        size = (cam["width"], cam["height"])
        for dirpath, _, files in os.walk(cdir):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                kind = os.path.basename(dirpath)
                if kind == "xyz":
                    check_cloud(path, cam)
                elif kind == "rgb":
                    im = Image.open(path)
                    if im.mode != "RGB" or im.size != size:
                        fail("%s is %s %s" % (path, im.mode, im.size))
                elif kind == "gt":
                    m = np.array(Image.open(path))
                    if m.dtype != np.uint8 or m.ndim != 2 or not set(np.unique(m)) <= {0, 255}:
                        fail(path + " is not a 0/255 mask")
                elif kind == "depth":
                    with open(path, "rb") as f:
                        ihdr = f.read(26)
                    if ihdr[24] != 16 or ihdr[25] != 0:  # IHDR bit depth, colour type (grey)
                        fail("%s is not a 16-bit grey PNG" % path)
                    d = np.array(Image.open(path))
                    if d.shape != (size[1], size[0]):
                        fail("%s has shape %s" % (path, d.shape))
                    z = d[d > 0] * cam["depth_scale"]
                    if z.min() < 0.4 or z.max() > 0.6:
                        fail(path + ": depth out of 0.4..0.6 m")
                else:
                    continue
                checked += 1
        labels = os.path.join(cdir, "stream", "labels.csv")
        if os.path.exists(labels):
            with open(labels) as f:
                for row in csv.DictReader(f):
                    m = np.array(Image.open(os.path.join(cdir, "stream", "gt", row["frame"] + ".png")))
                    if int(row["defect_pixels"]) != int((m > 0).sum()):
                        fail("labels.csv disagrees with gt of frame " + row["frame"])
                    if (row["label"] == "good") != (m.max() == 0):
                        fail("frame %s labelled %s" % (row["frame"], row["label"]))
    if checked == 0:
        fail("nothing to check under " + root)
    print("OK", checked)


if __name__ == "__main__":
    main()
