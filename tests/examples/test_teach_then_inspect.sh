#!/usr/bin/env bash
# examples/teach-then-inspect.sh teaches a bundle from the train split and prints one
# lsfa-anomaly message per test frame with it.
source "$(dirname "$0")/common.sh"
"$LSFA_TOOL" synth --out "$WORK/data" --category ring --seed 3 --train 10 --validation 0 \
  --test-good 2 --test-defect 1 --stream 0 --size 96x72 > /dev/null
"$EXAMPLES/teach-then-inspect.sh" "$WORK/data" ring "$WORK/out" > "$WORK/log.txt"
[ -s "$WORK/out/taught.lsfa" ] || fail "no taught bundle"
"$LSFA_TOOL" info "$WORK/out/taught.lsfa" > "$WORK/info.txt" || fail "lsfa info refuses the taught bundle"
grep -q '"category":"ring"' "$WORK/info.txt" || fail "the taught bundle does not record its category"
lines=$(grep -c '^lsfa-anomaly, ' "$WORK/log.txt" || true)
expected=$(test_frames)
[ "$lines" -eq "$expected" ] || fail "$lines lsfa-anomaly lines for $expected test frames"
grep -q 'is-anomalous=(boolean)' "$WORK/log.txt" || fail "no verdict in the messages"
echo "ok: taught bundle, $lines messages"
