#!/usr/bin/env bash
# examples/inspect-app: one JSON line per frame, alarms consistent with the verdicts, the anomaly
# meta read through gstlsfacaps; bus errors and bad pipelines end with a message and an exit code.
source "$(dirname "$0")/common.sh"
make_data_and_model
"$INSPECT_APP" "$WORK/data" ring "$WORK/ring.lsfa" > "$WORK/out.jsonl" 2> "$WORK/err.txt" ||
  fail "inspect-app failed: $(cat "$WORK/err.txt")"
expected=$(test_frames)
"$PY" "$LSFA_SOURCE_ROOT/tests/examples/check_inspect_json.py" "$WORK/out.jsonl" "$expected"
grep -q "$expected frames reached the sink, $expected with an anomaly meta" "$WORK/err.txt" ||
  fail "meta summary: $(cat "$WORK/err.txt")"

# A model that does not exist: error from the bus, exit status 2, the file named.
set +e
"$INSPECT_APP" "$WORK/data" ring "$WORK/missing.lsfa" > "$WORK/out2.jsonl" 2> "$WORK/err2.txt"
status=$?
set -e
[ "$status" -eq 2 ] || fail "missing model: exit status $status, not 2"
grep -q 'missing.lsfa' "$WORK/err2.txt" || fail "missing model not named: $(cat "$WORK/err2.txt")"
[ ! -s "$WORK/out2.jsonl" ] || fail "frames printed without a model"

# A pipeline that does not parse: exit status 1.
set +e
"$INSPECT_APP" 'lsfa-no-such-element ! fakesink' > /dev/null 2> "$WORK/err3.txt"
status=$?
set -e
[ "$status" -eq 1 ] || fail "bad pipeline: exit status $status, not 1"
grep -q 'cannot build the pipeline' "$WORK/err3.txt" || fail "bad pipeline: $(cat "$WORK/err3.txt")"
echo "ok"
