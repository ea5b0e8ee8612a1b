#!/usr/bin/python3
"""Reads the lsfa metas of every frame in a pad probe, through GObject introspection (GstLsfa-1.0).

    examples/python/read_anomaly_meta.py DATA CATEGORY MODEL.lsfa

Runs  lsfasrc ! lsfafeatures ! lsfascore ! fakesink  and prints, per frame, what the anomaly meta
(scores, verdict, map) and the RGB-D meta (the depth that came with the frame) hold:

    0.000 s  score -0.693  threshold 0.618  normal     rgb -6.205  3d 4.819  map 224x224 max 3.640 at (67, 32)  depth XYZ_F32 96x72  mask 7 px
    1.000 s  score 4.868  threshold 0.618  ANOMALOUS  rgb 10.400  3d -0.664  map 224x224 max 4.401 at (54, 23)  depth XYZ_F32 96x72  mask 5 px

Needs python3-gi, gir1.2-gstreamer-1.0 and the GstLsfa typelib (installed with the plugin; from a
build tree: GI_TYPELIB_PATH=build/caps LD_LIBRARY_PATH=build/caps GST_PLUGIN_PATH=build/plugins).
"""

import math
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstLsfa", "1.0")
from gi.repository import GLib, Gst, GstLsfa  # noqa: E402


def seconds(t):
    return "      -" if t == Gst.CLOCK_TIME_NONE else f"{t / Gst.SECOND:7.3f}"


def modality(value):
    return "off" if math.isnan(value) else f"{value:.3f}"


def describe_map(meta):
    """Size of the map and its largest value, with the frame position of that cell's centre."""
    values = meta.get_map_values()
    if not values:
        return "map -"
    best = max(range(len(values)), key=values.__getitem__)
    gx, gy = best % meta.map_width, best // meta.map_width
    x, y, w, h = meta.get_map_rect()
    fx = x + (gx + 0.5) * w / meta.map_width  # cell centre in frame pixels
    fy = y + (gy + 0.5) * h / meta.map_height
    return (f"map {meta.map_width}x{meta.map_height} max {values[best]:.3f} "
            f"at ({int(fx)}, {int(fy)})")


def describe_depth(meta):
    if meta is None:
        return "depth -"
    mask = meta.get_mask_bytes()
    defect = "-" if mask is None else f"{sum(1 for b in mask.get_data() if b)} px"
    return (f"depth {meta.format.value_nick.upper()} {meta.width}x{meta.height}  mask {defect}")


def on_buffer(pad, info):
    buffer = info.get_buffer()
    anomaly = GstLsfa.buffer_get_anomaly_meta(buffer)
    if anomaly is None:
        print(f"{seconds(buffer.pts)} s  no anomaly meta", flush=True)
        return Gst.PadProbeReturn.OK
    verdict = "ANOMALOUS" if anomaly.is_anomalous else "normal   "
    print(f"{seconds(buffer.pts)} s  score {anomaly.score:.3f}  threshold {anomaly.threshold:.3f}  "
          f"{verdict}  rgb {modality(anomaly.score_rgb)}  3d {modality(anomaly.score_3d)}  "
          f"{describe_map(anomaly)}  {describe_depth(GstLsfa.buffer_get_rgbd_meta(buffer))}",
          flush=True)
    return Gst.PadProbeReturn.OK


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 1
    data, category, model = argv[1:]
    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(
            f'lsfasrc location="{data}" category="{category}" split=test ! '
            f'lsfafeatures model="{model}" ! lsfascore model="{model}" ! fakesink name=sink')
    except GLib.Error as e:
        print(f"read_anomaly_meta.py: cannot build the pipeline: {e.message}", file=sys.stderr)
        return 1
    sink_pad = pipeline.get_by_name("sink").get_static_pad("sink")
    sink_pad.add_probe(Gst.PadProbeType.BUFFER, on_buffer)

    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.ERROR | Gst.MessageType.EOS)
    status = 0
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        print(f"read_anomaly_meta.py: error from {msg.src.get_name()}: {err.message}\n{debug}",
              file=sys.stderr)
        status = 2
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
