"""Reads the lsfa metas from Python through GObject introspection (GstLsfa-1.0) in a pad probe of a
real pipeline and checks them against independent sources:
- anomaly meta (scores, threshold, verdict, map and its geometry) against the lsfa-anomaly bus
  message of the same frame (lsfascore attach-map=true puts the map there as a GstSample);
- the map accessors against each other and against a bilinear sample computed here;
- RGB-D meta (format, size, XYZ cloud, ground-truth mask) against the data set's files, read with
  tifffile and PIL;
- features meta (modalities, backbone identity, geometry) against `lsfa info` and the anomaly meta.
usage: check_gi_metas.py DATA CATEGORY MODEL
(GI_TYPELIB_PATH, LD_LIBRARY_PATH, GST_PLUGIN_PATH and LSFA_TOOL set)
"""
import math
import os
import subprocess
import sys

import gi
import numpy as np
import tifffile
from PIL import Image

gi.require_version("Gst", "1.0")
gi.require_version("GstLsfa", "1.0")
from gi.repository import Gst, GstLsfa  # noqa: E402

data, category, model = sys.argv[1:4]
Gst.init(None)


def test_samples():
    """(xyz path, gt path or None) per test sample, in lsfasrc's order: defect folder, then id."""
    root = os.path.join(data, category, "test")
    out = []
    for defect in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, defect, "rgb"))):
            stem = os.path.splitext(name)[0]
            gt = os.path.join(root, defect, "gt", stem + ".png")
            out.append((os.path.join(root, defect, "xyz", stem + ".tiff"),
                        gt if os.path.exists(gt) else None))
    return out


def bilinear(grid, rect, x, y):
    """The anomaly meta's sampling rule (docs/metas.md): cell centres at integer grid positions."""
    h, w = grid.shape
    gx = (x - rect[0]) / rect[2] * w - 0.5
    gy = (y - rect[1]) / rect[3] * h - 0.5
    gx, gy = min(max(gx, 0.0), w - 1.0), min(max(gy, 0.0), h - 1.0)
    x0, y0 = int(math.floor(gx)), int(math.floor(gy))
    x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
    fx, fy = gx - x0, gy - y0
    return ((1 - fy) * ((1 - fx) * grid[y0, x0] + fx * grid[y0, x1]) +
            fy * ((1 - fx) * grid[y1, x0] + fx * grid[y1, x1]))


frames = []  # per buffer: dict of what the metas say


def on_buffer(pad, info):
    buf = info.get_buffer()
    a = GstLsfa.buffer_get_anomaly_meta(buf)
    r = GstLsfa.buffer_get_rgbd_meta(buf)
    assert a is not None, "buffer without anomaly meta"
    assert r is not None, "buffer without RGB-D meta"
    map_bytes, mw, mh = a.get_map_bytes()
    values = a.get_map_values()
    grid = np.frombuffer(map_bytes.get_data(), np.float32).reshape(mh, mw)
    assert (mw, mh) == (a.map_width, a.map_height) and len(values) == mw * mh
    assert np.array_equal(np.array(values, np.float32), grid.ravel()), "map values != map bytes"
    # The map GstBuffer field itself, read through the binding.
    assert a.map.extract_dup(0, a.map.get_size()) == map_bytes.get_data()
    rect = a.get_map_rect()
    for fx, fy in ((0.37, 0.61), (0.5, 0.5), (0.13, 0.88)):
        x, y = rect[0] + fx * rect[2], rect[1] + fy * rect[3]
        ok, v = a.get_map_value(x, y)
        assert ok and abs(v - bilinear(grid.astype(np.float64), rect, x, y)) < 1e-4, (x, y, v)
    ok, _ = a.get_map_value(rect[0] - 1, rect[1] - 1)
    assert not ok, "a position outside map_rect gave a value"
    fm = GstLsfa.buffer_get_features_meta(buf)
    assert fm is not None, "buffer without features meta"
    fr = fm.model_rect
    features = (fm.modalities, fm.extractor_identity, fm.model_size, fm.rgb_grid,
                (fm.frame_width, fm.frame_height), (fr.x, fr.y, fr.width, fr.height))
    depth = r.get_depth_bytes()
    mask = r.get_mask_bytes()
    frames.append({
        "pts": buf.pts, "score": a.score, "score-rgb": a.score_rgb, "score-3d": a.score_3d,
        "threshold": a.threshold, "is-anomalous": bool(a.is_anomalous), "map": map_bytes.get_data(),
        "map-size": (mw, mh), "low": a.map_low, "high": a.map_high,
        "pixel-threshold": a.pixel_threshold, "rect": rect,
        "frame-size": (a.frame_width, a.frame_height),
        "rgbd-format": r.format, "rgbd-size": (r.width, r.height), "stride": r.stride,
        "depth": None if depth is None else depth.get_data(),
        "mask": None if mask is None else mask.get_data(), "features": features,
    })
    return Gst.PadProbeReturn.OK


pipeline = Gst.parse_launch(
    f'lsfasrc location="{data}" category="{category}" split=test ! '
    f'lsfafeatures model="{model}" ! lsfascore model="{model}" attach-map=true ! fakesink name=sink')
pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
messages = []
bus = pipeline.get_bus()
pipeline.set_state(Gst.State.PLAYING)
while True:
    msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.ELEMENT |
                                 Gst.MessageType.ERROR | Gst.MessageType.EOS)
    if msg.type == Gst.MessageType.ERROR:
        sys.exit(f"pipeline error: {msg.parse_error()[0].message}")
    if msg.type == Gst.MessageType.EOS:
        break
    s = msg.get_structure()
    if s.get_name() != "lsfa-anomaly":
        continue
    sample = s.get_value("map")
    caps = sample.get_caps().get_structure(0)
    mbuf = sample.get_buffer()
    messages.append({
        "pts": s.get_value("timestamp"), "score": s.get_value("score"),
        "score-rgb": s.get_value("score-rgb"), "score-3d": s.get_value("score-3d"),
        "threshold": s.get_value("threshold"), "is-anomalous": s.get_value("is-anomalous"),
        "map": mbuf.extract_dup(0, mbuf.get_size()),
        "map-size": (caps.get_value("width"), caps.get_value("height")),
        "low": caps.get_value("low"), "high": caps.get_value("high"),
        "pixel-threshold": caps.get_value("pixel-threshold"),
        "rect": tuple(caps.get_value(k) for k in ("rect-x", "rect-y", "rect-width", "rect-height")),
    })
pipeline.set_state(Gst.State.NULL)

info = subprocess.run([os.environ["LSFA_TOOL"], "info", model], check=True, capture_output=True,
                      text=True).stdout
identity = [line.split(None, 1)[1] for line in info.splitlines() if line.startswith("backbones ")][0]
samples = test_samples()
assert len(frames) == len(samples), f"{len(frames)} frames for {len(samples)} test samples"
assert len(messages) == len(frames), f"{len(messages)} messages for {len(frames)} frames"


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


anomalous = 0
for i, (f, m, (xyz_path, gt_path)) in enumerate(zip(frames, messages, samples)):
    where = f"frame {i} ({xyz_path})"
    for key in ("pts", "is-anomalous", "map-size", "rect"):
        assert f[key] == m[key], f"{where}: {key} {f[key]} (meta) != {m[key]} (message)"
    # Both are the same float32 values: exact equality.
    for key in ("score", "score-rgb", "score-3d", "threshold", "low", "high", "pixel-threshold"):
        assert same(f[key], m[key]), f"{where}: {key} {f[key]} (meta) != {m[key]} (message)"
    assert f["map"] == m["map"], f"{where}: the map differs from the message's"
    assert f["is-anomalous"] == (f["score"] > f["threshold"]), where
    anomalous += f["is-anomalous"]
    # lsfafeatures' meta: the bundle's modalities and backbones; the anomaly map covers the same
    # rectangle as the model input (224 x 224, 28 x 28 RGB tokens).
    want = ("rgb,3d", identity, 224, 28, f["frame-size"], f["rect"])
    assert f["features"] == want, f"{where}: features meta {f['features']}, expected {want}"

    xyz = tifffile.imread(xyz_path).astype(np.float32)
    h, w = xyz.shape[:2]
    assert f["rgbd-format"] == GstLsfa.DepthFormat.XYZ_F32, f"{where}: {f['rgbd-format']}"
    assert f["rgbd-size"] == (w, h) and f["frame-size"] == (w, h), where
    assert f["stride"] == w * 12, where
    assert f["depth"] == np.ascontiguousarray(xyz).tobytes(), f"{where}: XYZ differs from the TIFF"
    if gt_path is None:
        assert f["mask"] is None, f"{where}: a mask without a ground-truth file"
    else:
        gt = np.asarray(Image.open(gt_path).convert("L"), np.uint8)
        assert f["mask"] == gt.tobytes(), f"{where}: mask differs from {gt_path}"

print(f"ok: {len(frames)} frames, {anomalous} anomalous; metas read through GstLsfa match the "
      f"lsfa-anomaly messages and the data set files")
