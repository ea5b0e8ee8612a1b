#!/usr/bin/env bash
# Teach, then inspect, with launch lines only:
#  1. lsfascore mode=teach learns a bundle from the train split (normal parts only) and writes it
#     when the stream ends;
#  2. the test split is inspected with the taught bundle; the verdict of every frame is printed
#     from the lsfa-anomaly messages (gst-launch-1.0 -m prints bus messages).
#
#   examples/teach-then-inspect.sh DATA CATEGORY OUT_DIR
#
# Writes OUT_DIR/taught.lsfa and OUT_DIR/messages.txt (one lsfa-anomaly message per test frame).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 DATA CATEGORY OUT_DIR" >&2
  exit 2
fi
DATA=$1 CATEGORY=$2 OUT=$3
mkdir -p "$OUT"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

echo "== teach on $CATEGORY/train -> $OUT/taught.lsfa"
# The extractor settings (preset, seed) and the category are stored in the taught bundle, so the
# inspect line below only names the bundle. Every third frame or so (teach-holdout=0.3) calibrates
# the bundle instead of feeding its memory banks; at least 3 such frames are needed.
gst-launch-1.0 \
  lsfasrc location="$DATA" category="$CATEGORY" split=train \
  ! lsfafeatures preset=small \
  ! lsfascore mode=teach teach-output="$OUT/taught.lsfa" teach-holdout=0.3 category="$CATEGORY" \
  ! fakesink

echo "== inspect $CATEGORY/test with the taught bundle"
gst-launch-1.0 -m \
  lsfasrc location="$DATA" category="$CATEGORY" split=test \
  ! lsfafeatures model="$OUT/taught.lsfa" \
  ! lsfascore model="$OUT/taught.lsfa" \
  ! fakesink > "$OUT/messages.txt"
# One line per frame: "... lsfa-anomaly, timestamp=..., score=..., is-anomalous=..."
grep -o 'lsfa-anomaly, .*' "$OUT/messages.txt"
