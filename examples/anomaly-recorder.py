#!/usr/bin/python3
"""Records only the anomalous parts of an inspection stream, one WebM file per alarm.

    examples/anomaly-recorder.py --data DATA --category CATEGORY --model MODEL.lsfa --out DIR
    examples/anomaly-recorder.py --source 'SOURCE PIPELINE' --model MODEL.lsfa --out DIR

lsfascore posts `lsfa-anomaly-state` messages: `start` when an alarm begins, `stop` when it ends
(or at the end of the stream). The annotated frames arrive at an appsink; the last second of them
is kept in a ring buffer of raw frames. On `start` a new file is opened, the ring buffer (the second
before the alarm) is written to it, then every frame until `stop`: DIR/segment-000.webm,
segment-001.webm, ...

The state messages are handled synchronously (a sync bus handler) in the streaming thread that
also delivers the frames to the appsink (there is no queue between lsfascore and the appsink), so a
message is always handled before its own frame arrives: no frame is lost or recorded twice.
Raw frames need no keyframe at the start of a segment; the price is memory (one second of raw
video).
"""

import argparse
import collections
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def seconds(t):
    return "end of stream" if t == Gst.CLOCK_TIME_NONE else f"{t / Gst.SECOND:.3f} s"


class SegmentWriter:
    """One output file: appsrc ! vp8enc ! webmmux ! filesink, timestamps starting at 0."""

    def __init__(self, path, origin):
        self.path = path
        self.origin = origin
        self.frames = 0
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time ! videoconvert ! vp8enc deadline=1 ! webmmux ! "
            "filesink name=file")
        self.pipeline.get_by_name("file").set_property("location", path)
        self.src = self.pipeline.get_by_name("src")
        self.pipeline.set_state(Gst.State.PLAYING)

    def push(self, sample):
        if self.frames == 0:
            self.src.set_property("caps", sample.get_caps())
        buffer = sample.get_buffer().copy_deep()  # our own buffer, to shift its timestamps
        buffer.pts -= self.origin
        buffer.dts = Gst.CLOCK_TIME_NONE
        self.src.emit("push-buffer", buffer)
        self.frames += 1

    def close(self):
        """Ends the stream and waits until the muxer has finished the file."""
        self.src.emit("end-of-stream")
        bus = self.pipeline.get_bus()
        msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE,
                                     Gst.MessageType.EOS | Gst.MessageType.ERROR)
        self.pipeline.set_state(Gst.State.NULL)
        if msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            raise RuntimeError(f"writing {self.path}: {err.message}")


class Recorder:
    def __init__(self, out_dir, pre_roll):
        self.out_dir = out_dir
        self.pre_roll = pre_roll  # ns of video kept before an alarm
        self.ring = collections.deque()  # samples of the last `pre_roll` while not recording
        self.writer = None
        self.segments = 0
        self.failure = None

    # Streaming thread: a frame reached the appsink.
    def on_frame(self, appsink):
        sample = appsink.emit("pull-sample")
        if self.writer is not None:
            self.writer.push(sample)
            return Gst.FlowReturn.OK
        pts = sample.get_buffer().pts
        self.ring.append(sample)
        while pts - self.ring[0].get_buffer().pts > self.pre_roll:
            self.ring.popleft()
        return Gst.FlowReturn.OK

    # Streaming thread (sync handler): lsfascore posted an element message.
    def on_message(self, _bus, msg):
        s = msg.get_structure()
        if s is None or s.get_name() != "lsfa-anomaly-state":
            return
        state = s.get_string("state")
        _, timestamp = s.get_uint64("timestamp")
        try:
            if state == "start" and self.writer is None:
                self.start(timestamp)
            elif state == "stop" and self.writer is not None:
                self.stop(timestamp)
        except (RuntimeError, OSError) as e:  # reported by the main loop
            self.failure = str(e)

    def start(self, timestamp):
        # Frames of the second before the alarm's first frame.
        before = [x for x in self.ring if x.get_buffer().pts + self.pre_roll >= timestamp]
        self.ring.clear()
        origin = before[0].get_buffer().pts if before else timestamp
        path = os.path.join(self.out_dir, f"segment-{self.segments:03d}.webm")
        self.segments += 1
        self.writer = SegmentWriter(path, origin)
        self.pre_frames = len(before)
        self.alarm_start = timestamp
        for sample in before:
            self.writer.push(sample)

    def stop(self, timestamp):
        self.writer.close()
        print(f"{self.writer.path}: {self.writer.frames} frames ({self.pre_frames} before the "
              f"alarm), alarm from {seconds(self.alarm_start)} to {seconds(timestamp)}",
              flush=True)
        self.writer = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="data set root (MVTec 3D-AD layout)")
    parser.add_argument("--category", help="category of the data set")
    parser.add_argument("--split", default="test")
    parser.add_argument("--source", help="pipeline fragment giving the paired stream "
                        "(instead of --data/--category)")
    parser.add_argument("--model", required=True, help="bundle (.lsfa)")
    parser.add_argument("--out", required=True, help="directory for segment-NNN.webm")
    parser.add_argument("--pre-roll", type=float, default=1.0,
                        help="seconds recorded before each alarm (default 1)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="image threshold, any value (default: the bundle's)")
    args = parser.parse_args()
    if args.source is None and (args.data is None or args.category is None):
        parser.error("give --data and --category, or --source")

    Gst.init(None)
    os.makedirs(args.out, exist_ok=True)
    source = args.source or (f'lsfasrc location="{args.data}" category="{args.category}" '
                             f"split={args.split} framerate=5/1")
    threshold = "" if args.threshold is None else f"threshold={args.threshold}"
    # The appsink takes RGB frames in a format vp8enc's videoconvert handles directly.
    pipeline = Gst.parse_launch(
        f'{source} ! lsfafeatures model="{args.model}" ! '
        f'lsfascore model="{args.model}" {threshold} ! lsfaoverlay ! '
        "videoconvert ! video/x-raw,format=I420 ! appsink name=frames emit-signals=true sync=false")

    recorder = Recorder(args.out, int(args.pre_roll * Gst.SECOND))
    pipeline.get_by_name("frames").connect("new-sample", recorder.on_frame)
    bus = pipeline.get_bus()
    bus.enable_sync_message_emission()
    bus.connect("sync-message::element", recorder.on_message)

    pipeline.set_state(Gst.State.PLAYING)
    msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        err, debug = msg.parse_error()
        print(f"anomaly-recorder: error from {msg.src.get_name()}: {err.message}\n{debug}",
              file=sys.stderr)
        return 2
    if recorder.writer is not None:  # lsfascore closes alarms at EOS; this is a safety net
        recorder.stop(Gst.CLOCK_TIME_NONE)
    if recorder.failure:
        print(f"anomaly-recorder: {recorder.failure}", file=sys.stderr)
        return 2
    print(f"{recorder.segments} segment(s) written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
