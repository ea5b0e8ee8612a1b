#!/usr/bin/env bash
# examples/python/read_anomaly_meta.py reads the metas through GObject introspection (GstLsfa-1.0,
# GI_TYPELIB_PATH = the build's caps/): one line per frame whose scores and verdicts are those of
# the lsfa-anomaly bus messages (printed by examples/inspect.py for the same pipeline). Then
# check_gi_metas.py compares every meta field read from Python with the messages (map included)
# and the RGB-D meta with the data set's files.
source "$(dirname "$0")/common.sh"
make_data_and_model
"$PY" "$EXAMPLES/python/read_anomaly_meta.py" "$WORK/data" ring "$WORK/ring.lsfa" > "$WORK/meta.txt"
"$PY" "$EXAMPLES/inspect.py" "$WORK/data" ring "$WORK/ring.lsfa" > "$WORK/bus.txt"
expected=$(test_frames)
frames=$(grep -c ' score ' "$WORK/meta.txt" || true)
[ "$frames" -eq "$expected" ] || fail "$frames frame lines for $expected frames: $(cat "$WORK/meta.txt")"
grep -q 'map 224x224 max' "$WORK/meta.txt" || fail "no map described: $(head -1 "$WORK/meta.txt")"
grep -q 'depth XYZ_F32 96x72' "$WORK/meta.txt" || fail "no depth described: $(head -1 "$WORK/meta.txt")"
# Time, score, threshold and verdict of each frame, as the meta gave them and as the messages did.
awk '{print $1, $4, $6, $7}' "$WORK/meta.txt" > "$WORK/meta-scores.txt"
grep ' score ' "$WORK/bus.txt" | awk '{print $1, $4, $6, $7}' > "$WORK/bus-scores.txt"
diff "$WORK/meta-scores.txt" "$WORK/bus-scores.txt" > "$WORK/diff.txt" ||
  fail "meta and message values differ: $(cat "$WORK/diff.txt")"
"$PY" "$LSFA_SOURCE_ROOT/tests/examples/check_gi_metas.py" "$WORK/data" ring "$WORK/ring.lsfa"
echo "ok: $frames frames"
