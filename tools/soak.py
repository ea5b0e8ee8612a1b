#!/usr/bin/env python3
"""Soak driver of tools/soak.sh: runs GStreamer pipelines of the plugin for a long time in this one
process and samples its resident memory (VmRSS of /proc/self/status) and frame rate.

  soak.py stream --launch PIPELINE --frames N [--every K] [--warmup W] [--csv FILE]
                 [--max-seconds S]
      Plays PIPELINE (a gst-launch description whose sink is named "sink") to EOS; every K frames
      reaching the sink records frames, seconds, frames/s of the last K frames and VmRSS. With S,
      the run ends (EOS) after S seconds even if fewer than N frames were played.
  soak.py teach --data DIR --category C --work DIR --cycles N [--warmup W] [--csv FILE]
      Repeats a teach / inspect cycle N times with the same two pipelines: lsfascore mode=teach
      writes a bundle (alternately A.lsfa and B.lsfa), then the inspect pipeline reloads it
      (its model property is switched while stopped) and scores the test split. VmRSS after each
      cycle.

Both print a summary and exit 1 when the heap in use (malloc's, mallinfo2) grew by LIMIT
(--limit-mb, default 5 MiB) or more between the end of the warm-up and the end (VmRSS is reported
beside it); 2 when a pipeline fails."""
import argparse
import ctypes
import gc
import os
import statistics
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                "usmblks", "fsmblks", "uordblks", "fordblks",
                                                "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2


def heap_kb():
    """Bytes in use from malloc (not what it keeps free for reuse): where a leak shows. VmRSS also
    follows the free memory malloc holds (fragmentation), which goes up and down by tens of MiB
    when bundles are taught and loaded."""
    m = _libc.mallinfo2()
    return (m.uordblks + m.hblkhd) // 1024


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def run_to_eos(pipeline, what, on_element=None, max_seconds=0):
    """Plays `pipeline` until EOS; exits with status 2 on an error message. With max_seconds, sends
    EOS after that long (the run then ends early); returns True when it did."""
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        drain_errors(pipeline, what)
        sys.exit(f"soak: {what}: could not start")
    bus = pipeline.get_bus()
    types = Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.ELEMENT
    start, stopped = time.monotonic(), False
    while True:
        msg = bus.timed_pop_filtered(Gst.SECOND, types)
        if msg is None:
            if max_seconds and not stopped and time.monotonic() - start > max_seconds:
                pipeline.send_event(Gst.Event.new_eos())
                stopped = True
            continue
        if msg.type == Gst.MessageType.EOS:
            break
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            pipeline.set_state(Gst.State.NULL)
            print(f"soak: {what}: {err.message} ({dbg})", file=sys.stderr)
            sys.exit(2)
        if on_element is not None:
            on_element(msg)
    pipeline.set_state(Gst.State.NULL)
    return stopped


def drain_errors(pipeline, what):
    bus = pipeline.get_bus()
    while True:
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        if msg is None:
            return
        err, dbg = msg.parse_error()
        print(f"soak: {what}: {err.message} ({dbg})", file=sys.stderr)


def growth_summary(label, points, warmup, limit_kb):
    """points: [(x, rss_kb, heap_kb)] in order. Growth = last - first point at or after warm-up,
    of the heap in use (the rule) and of VmRSS (reported)."""
    after = [p for p in points if p[0] >= warmup]
    if len(after) < 2:
        print(f"soak: {label}: too few samples after the warm-up of {warmup}", file=sys.stderr)
        return False
    rss = [p[1] for p in after]
    heap = [p[2] for p in after]
    growth = heap[-1] - heap[0]
    print(f"{label}: heap in use after warm-up {heap[0] / 1024:.1f} MiB, at the end "
          f"{heap[-1] / 1024:.1f} MiB, growth {growth / 1024:+.2f} MiB (limit "
          f"{limit_kb / 1024:.1f} MiB); VmRSS {rss[0] / 1024:.1f} -> {rss[-1] / 1024:.1f} MiB "
          f"({(rss[-1] - rss[0]) / 1024:+.2f} MiB, peak {max(rss) / 1024:.1f} MiB)")
    return growth < limit_kb


def write_csv(path, header, rows):
    if not path:
        return
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r) + "\n")


def cmd_stream(args):
    pipeline = Gst.parse_launch(args.launch)
    sink = pipeline.get_by_name("sink")
    if sink is None:
        sys.exit("soak: the pipeline needs a sink named \"sink\"")
    samples = []  # (frames, seconds, fps of the last `every` frames, rss kB)
    state = {"frames": 0, "t0": None, "last": None}

    def probe(pad, info):
        now = time.monotonic()
        state["frames"] += 1
        n = state["frames"]
        if state["t0"] is None:
            state["t0"] = state["last"] = now
        if n % args.every == 0:
            fps = args.every / (now - state["last"]) if now > state["last"] else 0.0
            samples.append((n, now - state["t0"], fps, rss_kb(), heap_kb()))
            state["last"] = now
            if args.progress and n % args.progress == 0:
                print(f"  {n} frames, {fps:.1f} frames/s, RSS {samples[-1][3] / 1024:.1f} MiB",
                      flush=True)
        return Gst.PadProbeReturn.OK

    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    start, cpu0 = time.monotonic(), os.times()
    stopped = run_to_eos(pipeline, "stream", max_seconds=args.max_seconds)
    wall, cpu1 = time.monotonic() - start, os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    write_csv(args.csv, ["frames", "seconds", "fps", "rss_kb", "heap_kb"], samples)
    n = max(1, state["frames"])
    print(f"stream: {state['frames']} frames in {wall:.0f} s ({state['frames'] / wall:.2f} frames/s); "
          f"CPU {cpu:.0f} s = {1000 * cpu / n:.0f} ms per frame (all threads)")
    if stopped:
        print(f"stream: stopped by the time limit of {args.max_seconds} s after {state['frames']} "
              f"of {args.frames} frames")
    elif state["frames"] < args.frames:
        print(f"soak: only {state['frames']} of {args.frames} frames arrived", file=sys.stderr)
        return 2
    warm = [s for s in samples if s[0] > args.warmup]
    if warm:
        rates = [s[2] for s in warm]
        q = max(1, len(rates) // 4)
        first, last = statistics.mean(rates[:q]), statistics.mean(rates[-q:])
        cv = statistics.pstdev(rates) / statistics.mean(rates) if statistics.mean(rates) else 0
        print(f"stream: frame rate after warm-up: mean {statistics.mean(rates):.2f}, min "
              f"{min(rates):.2f}, max {max(rates):.2f} frames/s per {args.every} frames "
              f"(coefficient of variation {cv:.2f}); first quarter {first:.2f}, last quarter "
              f"{last:.2f} frames/s ({100 * last / first:.0f} %)")
    ok = growth_summary("stream", [(s[0], s[3], s[4]) for s in samples], args.warmup,
                        args.limit_mb * 1024)
    return 0 if ok else 1


def cmd_teach(args):
    a, b = os.path.join(args.work, "A.lsfa"), os.path.join(args.work, "B.lsfa")
    common = f"lsfasrc location=\"{args.data}\" category={args.category}"
    teach = Gst.parse_launch(
        f"{common} split=train ! lsfafeatures preset=small modalities={args.modalities} "
        f"threads={args.threads} ! lsfascore name=score mode=teach category={args.category} "
        f"teach-holdout=0.5 ! fakesink")
    inspect = Gst.parse_launch(
        f"{common} split=test ! lsfafeatures name=features threads={args.threads} ! "
        f"lsfascore name=score ! lsfaoverlay ! fakesink name=sink")
    teach_score = teach.get_by_name("score")
    frames = {"n": 0}

    def count(pad, info):
        frames["n"] += 1
        return Gst.PadProbeReturn.OK

    inspect.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)
    points = []
    taught = {"done": 0}

    def on_teach(msg):
        s = msg.get_structure()
        if s is not None and s.get_name() == "lsfa-teach-done":
            taught["done"] += 1

    for cycle in range(1, args.cycles + 1):
        bundle = a if cycle % 2 else b
        teach_score.set_property("teach-output", bundle)
        run_to_eos(teach, f"teach cycle {cycle}", on_teach)
        if taught["done"] != cycle:
            sys.exit(f"soak: teach cycle {cycle} posted no lsfa-teach-done")
        inspect.get_by_name("features").set_property("model", bundle)
        inspect.get_by_name("score").set_property("model", bundle)
        frames["n"] = 0
        run_to_eos(inspect, f"inspect cycle {cycle}")
        if frames["n"] == 0:
            sys.exit(f"soak: inspect cycle {cycle} scored no frame")
        gc.collect()
        _libc.malloc_trim(0)
        points.append((cycle, rss_kb(), heap_kb()))
        if args.progress:
            print(f"  cycle {cycle}: {frames['n']} frames inspected with {os.path.basename(bundle)}, "
                  f"heap in use {points[-1][2] / 1024:.1f} MiB, VmRSS {points[-1][1] / 1024:.1f} MiB",
                  flush=True)
    write_csv(args.csv, ["cycle", "rss_kb", "heap_kb"], points)
    print(f"teach: {args.cycles} teach / inspect cycles")
    ok = growth_summary("teach", points, args.warmup, args.limit_mb * 1024)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stream")
    s.add_argument("--launch", required=True)
    s.add_argument("--frames", type=int, required=True)
    s.add_argument("--every", type=int, default=100)
    s.add_argument("--warmup", type=int, default=0)
    s.add_argument("--max-seconds", type=float, default=0,
                   help="send EOS after this long (0 = play all frames)")
    t = sub.add_parser("teach")
    t.add_argument("--data", required=True)
    t.add_argument("--category", required=True)
    t.add_argument("--work", required=True)
    t.add_argument("--cycles", type=int, required=True)
    t.add_argument("--warmup", type=int, default=2)
    t.add_argument("--modalities", default="rgb,3d")
    t.add_argument("--threads", type=int, default=2)
    for p in (s, t):
        p.add_argument("--csv")
        p.add_argument("--limit-mb", type=float, default=5.0)
        p.add_argument("--progress", type=int, default=0)
    args = ap.parse_args()
    Gst.init(None)
    return cmd_stream(args) if args.cmd == "stream" else cmd_teach(args)


if __name__ == "__main__":
    sys.exit(main())
