#!/usr/bin/python3
"""Runs an inspection pipeline and prints the verdict of every frame and the alarm changes.

    examples/inspect.py DATA CATEGORY MODEL.lsfa
    examples/inspect.py 'PIPELINE DESCRIPTION'      (any line with an lsfascore)

Output, one line per frame, and one per alarm change:
    0.000 s  score -0.693  threshold 0.618  normal     (rgb -6.205, 3d 4.819)
    1.000 s  score 4.868  threshold 0.618  ANOMALOUS  (rgb 10.400, 3d -0.664)
    1.000 s  alarm start
"""

import math
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def seconds(t):
    return "      -" if t == Gst.CLOCK_TIME_NONE else f"{t / Gst.SECOND:7.3f}"


def modality(value):
    return "off" if math.isnan(value) else f"{value:.3f}"


def main(argv):
    if len(argv) == 4:
        data, category, model = argv[1:]
        description = (f'lsfasrc location="{data}" category="{category}" split=test ! '
                       f'lsfafeatures model="{model}" ! lsfascore model="{model}" ! fakesink')
    elif len(argv) == 2:
        description = argv[1]
    else:
        print(__doc__, file=sys.stderr)
        return 1

    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(description)
    except GLib.Error as e:
        print(f"inspect.py: cannot build the pipeline: {e.message}", file=sys.stderr)
        return 1

    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    status = 0
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE,
            Gst.MessageType.ELEMENT | Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg.type == Gst.MessageType.EOS:
            break
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"inspect.py: error from {msg.src.get_name()}: {err.message}\n{debug}",
                  file=sys.stderr)
            status = 2
            break
        s = msg.get_structure()
        if s.get_name() == "lsfa-anomaly":
            verdict = "ANOMALOUS" if s.get_value("is-anomalous") else "normal   "
            print(f"{seconds(s.get_value('timestamp'))} s  score {s.get_value('score'):.3f}  "
                  f"threshold {s.get_value('threshold'):.3f}  {verdict}  "
                  f"(rgb {modality(s.get_value('score-rgb'))}, "
                  f"3d {modality(s.get_value('score-3d'))})", flush=True)
        elif s.get_name() == "lsfa-anomaly-state":
            print(f"{seconds(s.get_value('timestamp'))} s  alarm {s.get_string('state')}",
                  flush=True)
    pipeline.set_state(Gst.State.NULL)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
