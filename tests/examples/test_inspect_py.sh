#!/usr/bin/env bash
# examples/inspect.py prints one line per frame (and one per alarm change, matching the verdicts);
# a missing model ends with exit status 2 and the file named.
source "$(dirname "$0")/common.sh"
make_data_and_model
"$PY" "$EXAMPLES/inspect.py" "$WORK/data" ring "$WORK/ring.lsfa" > "$WORK/out.txt"
expected=$(test_frames)
frames=$(grep -c ' score ' "$WORK/out.txt" || true)
[ "$frames" -eq "$expected" ] || fail "$frames frame lines for $expected frames"
anomalous=$(grep -c 'ANOMALOUS' "$WORK/out.txt" || true)
starts=$(grep -c 'alarm start' "$WORK/out.txt" || true)
stops=$(grep -c 'alarm stop' "$WORK/out.txt" || true)
[ "$starts" -eq "$stops" ] || fail "$starts alarm starts but $stops stops"
if [ "$anomalous" -gt 0 ]; then [ "$starts" -ge 1 ] || fail "anomalous frames without an alarm"; fi
# An alarm start always follows right after an anomalous frame line.
if grep -B1 'alarm start' "$WORK/out.txt" | grep ' score ' | grep -qv ANOMALOUS; then
  fail "alarm started after a normal frame"
fi
set +e
"$PY" "$EXAMPLES/inspect.py" "$WORK/data" ring "$WORK/missing.lsfa" > /dev/null 2> "$WORK/err.txt"
status=$?
set -e
[ "$status" -eq 2 ] || fail "missing model: exit status $status, not 2"
grep -q 'missing.lsfa' "$WORK/err.txt" || fail "missing model not named: $(cat "$WORK/err.txt")"
echo "ok: $frames frames, $anomalous anomalous, $starts alarms"
