"""The GstLsfa-1.0 typelib from Python without the plugin: metas attached and read back through the
binding, the map accessors against numpy, the caps helpers and their error domain. Run by meson
(test gi_api) with GI_TYPELIB_PATH and LD_LIBRARY_PATH at the build's caps/ folder."""
import math
import struct
import sys

import gi
import numpy as np

gi.require_version("Gst", "1.0")
gi.require_version("GstLsfa", "1.0")
gi.require_version("GIRepository", "2.0")
from gi.repository import GIRepository, GLib, Gst, GstLsfa  # noqa: E402

Gst.init(None)
GstLsfa.caps_init()
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


# The typelib is the build's, not an installed one.
path = GIRepository.Repository.get_default().get_typelib_path("GstLsfa")
check(path.startswith(sys.argv[1]), f"typelib {path} not under {sys.argv[1]}")

buf = Gst.Buffer.new()
check(GstLsfa.buffer_get_anomaly_meta(buf) is None, "anomaly meta on an empty buffer")
check(GstLsfa.buffer_get_rgbd_meta(buf) is None, "RGB-D meta on an empty buffer")
check(GstLsfa.buffer_get_features_meta(buf) is None, "features meta on an empty buffer")

rng = np.random.default_rng(7)
grid = rng.standard_normal((5, 4)).astype(np.float32)  # 4 wide, 5 high
meta = GstLsfa.buffer_add_lsfa_anomaly_meta(buf)
check(math.isnan(meta.score_rgb) and math.isnan(meta.score_3d), "modality scores start as NaN")
check(meta.get_map_bytes() == (None, 0, 0) and meta.get_map_values() == [], "no map yet")
meta.score, meta.threshold, meta.is_anomalous = 2.5, 1.25, True
meta.map_rect.x, meta.map_rect.y, meta.map_rect.width, meta.map_rect.height = 10, -5, 40, 50
check(meta.set_map(Gst.Buffer.new_wrapped(grid.tobytes()), 4, 5), "set_map")
check(not meta.set_map(Gst.Buffer.new_wrapped(grid.tobytes()[:-4]), 4, 5), "short map accepted")

got = GstLsfa.buffer_get_anomaly_meta(buf.copy())  # through the copy transform
check((got.score, got.threshold, got.is_anomalous) == (2.5, 1.25, True), "scalars")
check(got.get_map_rect() == (10.0, -5.0, 40.0, 50.0), f"rect {got.get_map_rect()}")
data, w, h = got.get_map_bytes()
check((w, h) == (4, 5), f"map size {w}x{h}")
check(np.array_equal(np.frombuffer(data.get_data(), np.float32).reshape(5, 4), grid), "map bytes")
check(np.array_equal(np.array(got.get_map_values(), np.float32), grid.ravel()), "map values")
# Bilinear sampling at frame positions, against numpy (cell centres at integer grid positions).
for x, y in ((10.5, -4.5), (31.0, 12.0), (49.9, 44.9), (25.0, 20.0)):
    gx = min(max((x - 10) * 4 / 40 - 0.5, 0), 3)
    gy = min(max((y + 5) * 5 / 50 - 0.5, 0), 4)
    x0, y0 = int(gx), int(gy)
    x1, y1 = min(x0 + 1, 3), min(y0 + 1, 4)
    fx, fy = gx - x0, gy - y0
    g = grid.astype(np.float64)
    want = ((1 - fy) * ((1 - fx) * g[y0, x0] + fx * g[y0, x1]) +
            fy * ((1 - fx) * g[y1, x0] + fx * g[y1, x1]))
    ok, value = got.get_map_value(x, y)
    check(ok and abs(value - want) < 1e-5, f"map value at ({x}, {y}): {value} != {want}")
check(not got.get_map_value(9.9, 0)[0], "a position left of the rectangle")

# RGB-D meta (a too small depth buffer below is refused with a critical warning, as documented):
# GRAY16 with row padding, intrinsics, mask.
rows = struct.pack("<5H", 1, 2, 3, 0, 0) + struct.pack("<5H", 4, 5, 6, 0, 0)  # 3 px + 4 bytes pad
k = GstLsfa.Intrinsics()
k.fx, k.fy, k.cx, k.cy = 500.0, 501.0, 1.0, 0.5
rgbd = GstLsfa.buffer_add_lsfa_rgbd_meta(buf, GstLsfa.DepthFormat.GRAY16,
                                         Gst.Buffer.new_wrapped(rows), 3, 2, 10, 0.001, k)
check(rgbd is not None, "add RGB-D meta")
rgbd.set_mask(Gst.Buffer.new_wrapped(bytes([0, 255, 0, 0, 0, 255])))
r = GstLsfa.buffer_get_rgbd_meta(buf)
check((r.format, r.width, r.height, r.stride, r.depth_scale) ==
      (GstLsfa.DepthFormat.GRAY16, 3, 2, 10, 0.001), "RGB-D fields")
check(r.get_intrinsics() == (500.0, 501.0, 1.0, 0.5), f"intrinsics {r.get_intrinsics()}")
check(list(np.frombuffer(r.get_depth_bytes().get_data(), "<u2")) == [1, 2, 3, 4, 5, 6],
      "depth without padding")
check(r.get_mask_bytes().get_data() == bytes([0, 255, 0, 0, 0, 255]), "mask")
check(GstLsfa.buffer_add_lsfa_rgbd_meta(Gst.Buffer.new(), GstLsfa.DepthFormat.GRAY16,
                                        Gst.Buffer.new_wrapped(rows[:10]), 3, 2, 10, 0.001,
                                        None) is None, "a too small depth buffer accepted")

# Caps helpers.
caps = Gst.Caps.from_string("video/x-raw, format=GRAY16_LE, depth-scale=(double)0.001, "
                            "intrinsics=(double)<500.0, 500.0, 160.0, 120.0>")
cal = GstLsfa.DepthCalibration.from_caps(caps)
check(cal.depth_scale == 0.001 and cal.intrinsics.cx == 160.0, "calibration from caps")
check(cal.flags == GstLsfa.CalibrationFlags.DEPTH_SCALE | GstLsfa.CalibrationFlags.INTRINSICS,
      f"flags {cal.flags}")
try:
    GstLsfa.DepthCalibration.from_caps(Gst.Caps.from_string("video/x-raw, depth-scale=(double)-1"))
    check(False, "a negative depth scale accepted")
except GLib.Error as e:
    check(e.domain == "gst-lsfa-caps-error-quark" and "depth-scale" in e.message,
          f"error {e.domain}: {e.message}")
rgbd_caps = Gst.Caps.from_string(f"video/x-raw({GstLsfa.CAPS_FEATURE_META_RGBD})")
check(GstLsfa.caps_has_rgbd_feature(rgbd_caps), "rgbd caps feature")
check(not GstLsfa.caps_has_rgbd_feature(Gst.Caps.from_string("video/x-raw")), "plain caps")

if failures:
    sys.exit(f"{len(failures)} checks failed")
print("all checks passed")
