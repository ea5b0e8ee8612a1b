#!/usr/bin/env bash
# examples/anomaly-recorder.py writes one WebM per alarm, with the frames before it; nothing when
# no frame is anomalous. Expected segments come from the per-frame scores of inspect-app.
source "$(dirname "$0")/common.sh"
make_data_and_model
"$INSPECT_APP" "$WORK/data" ring "$WORK/ring.lsfa" > "$WORK/scores.jsonl" 2> /dev/null
# A threshold half way between two middle scores: about half the frames are anomalous, and no
# score lies near it.
threshold=$(jq -s '[.[] | select(.score != null) | .score] | sort | .[length / 2 | floor - 1:]
  | (.[0] + .[1]) / 2' "$WORK/scores.jsonl")

# 5 frames per second: --pre-roll 0.4 keeps the 2 frames before an alarm.
"$PY" "$EXAMPLES/anomaly-recorder.py" --data "$WORK/data" --category ring \
  --model "$WORK/ring.lsfa" --out "$WORK/half" --threshold "$threshold" --pre-roll 0.4 \
  > "$WORK/half.txt"
cat "$WORK/half.txt"
"$PY" "$LSFA_SOURCE_ROOT/tests/examples/check_recorder.py" "$WORK/scores.jsonl" "$threshold" 2 \
  "$WORK/half"

# No anomalous frame: no file.
"$PY" "$EXAMPLES/anomaly-recorder.py" --data "$WORK/data" --category ring \
  --model "$WORK/ring.lsfa" --out "$WORK/none" --threshold 1e9 > "$WORK/none.txt"
grep -q '^0 segment(s)' "$WORK/none.txt" || fail "$(cat "$WORK/none.txt")"
[ -z "$(ls -A "$WORK/none")" ] || fail "files written without anomalies: $(ls "$WORK/none")"

# Threshold 0 with the default pre-roll of one second (5 frames at 5 fps).
"$PY" "$EXAMPLES/anomaly-recorder.py" --data "$WORK/data" --category ring \
  --model "$WORK/ring.lsfa" --out "$WORK/all" --threshold 0 > "$WORK/all.txt"
"$PY" "$LSFA_SOURCE_ROOT/tests/examples/check_recorder.py" "$WORK/scores.jsonl" 0 5 "$WORK/all"
echo "ok"
