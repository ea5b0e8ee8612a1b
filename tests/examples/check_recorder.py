"""Checks the segments of examples/anomaly-recorder against the per-frame scores of inspect-app.
usage: check_recorder.py SCORES.jsonl THRESHOLD PRE_FRAMES SEGMENT_DIR
Alarms start at the first frame above THRESHOLD and stop at the next frame at or below it (or at
the end); a segment holds the alarm's frames plus up to PRE_FRAMES frames before it that are not
part of the previous segment."""
import glob
import json
import os
import subprocess
import sys

scores = [json.loads(l)["score"] for l in open(sys.argv[1]) if '"score"' in l]
threshold, pre_frames, out = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

expected = []  # frames per segment
i, free_from = 0, 0  # free_from: first frame not recorded in a previous segment
while i < len(scores):
    if scores[i] > threshold:
        start = i
        while i < len(scores) and scores[i] > threshold:
            i += 1
        pre = min(pre_frames, start - free_from)
        expected.append(pre + i - start)
        free_from = i
    else:
        i += 1

files = sorted(glob.glob(os.path.join(out, "segment-*.webm")))
assert [os.path.basename(f) for f in files] == [f"segment-{k:03d}.webm" for k in
                                                range(len(expected))], (files, expected)
here = os.path.dirname(os.path.abspath(__file__))
got = []
for f in files:
    line = subprocess.run([sys.executable, os.path.join(here, "webm_frames.py"), f], check=True,
                          capture_output=True, text=True).stdout.split()
    got.append(int(line[0]))
assert got == expected, f"segment frames {got}, expected {expected}"
print(f"{len(files)} segment(s) with {got} frames, as expected")
