"""Checks the output of examples/inspect-app: one JSON line per frame with consistent fields, and
alarm lines that follow the verdicts (min-anomalous-frames = min-normal-frames = 1).
usage: check_inspect_json.py OUTPUT EXPECTED_FRAMES"""
import json
import math
import sys

lines = open(sys.argv[1]).read().splitlines()
expected = int(sys.argv[2])
frames, alarms, want_alarms = [], [], []
in_alarm = False
for line in lines:
    obj = json.loads(line)  # every line must be JSON
    if "alarm" in obj:
        alarms.append(obj["alarm"])
        continue
    for key in ("timestamp", "score", "threshold", "is_anomalous", "score_rgb", "score_3d"):
        assert key in obj, f"missing {key}: {line}"
    assert obj["is_anomalous"] == (obj["score"] > obj["threshold"]), line
    # The fused model uses both modalities: both per-modality scores are numbers.
    assert all(type(obj[k]) in (int, float) for k in ("score_rgb", "score_3d")), line
    assert math.isfinite(obj["score"]), line
    if obj["is_anomalous"] != in_alarm:
        in_alarm = obj["is_anomalous"]
        want_alarms.append("start" if in_alarm else "stop")
    frames.append(obj)
if in_alarm:
    want_alarms.append("stop")  # closed at EOS
assert len(frames) == expected, f"{len(frames)} frame lines for {expected} frames"
stamps = [f["timestamp"] for f in frames]
assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), stamps
assert alarms == want_alarms, f"alarms {alarms}, verdicts imply {want_alarms}"
print(f"{len(frames)} frames, {sum(f['is_anomalous'] for f in frames)} anomalous, "
      f"alarms {alarms}")
