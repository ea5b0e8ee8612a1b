"""Decodes a WebM (VP8) file with GStreamer and prints 'FRAMES WIDTHxHEIGHT'; exit 1 on errors."""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)
pipeline = Gst.parse_launch("filesrc name=file ! matroskademux ! vp8dec ! appsink name=sink "
                            "sync=false emit-signals=true")
pipeline.get_by_name("file").set_property("location", sys.argv[1])
frames = []


def on_sample(sink):
    sample = sink.emit("pull-sample")
    s = sample.get_caps().get_structure(0)
    frames.append(f"{s.get_value('width')}x{s.get_value('height')}")
    return Gst.FlowReturn.OK


pipeline.get_by_name("sink").connect("new-sample", on_sample)
pipeline.set_state(Gst.State.PLAYING)
msg = pipeline.get_bus().timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
pipeline.set_state(Gst.State.NULL)
if msg.type == Gst.MessageType.ERROR:
    print(f"{sys.argv[1]}: {msg.parse_error()[0].message}", file=sys.stderr)
    sys.exit(1)
sizes = sorted(set(frames))
print(len(frames), ",".join(sizes) if sizes else "-")
