#!/usr/bin/env bash
# The demo: installs what is missing, builds, generates a synthetic RGB-D data set, trains a small
# LSFA model, evaluates it (metrics report with plots), and runs the GStreamer inspection pipeline
# that writes an annotated video. Everything goes to ./demo-out (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-demo-out}")
BUILD=${LSFA_BUILD_DIR:-build}
CATEGORY=${LSFA_DEMO_CATEGORY:-ring}
THREADS=${LSFA_THREADS:-0}

./tools/setup-deps.sh
if [ ! -f "$BUILD/build.ninja" ]; then meson setup "$BUILD" -Dtests=false; fi
ninja -C "$BUILD"
LSFA="$BUILD/tools/lsfa"

mkdir -p "$OUT"
echo "== 1/4 synthetic data ($CATEGORY) -> $OUT/data"
"$LSFA" synth --out "$OUT/data" --category "$CATEGORY" --seed 1 --train 16 --validation 4 \
  --test-good 6 --test-defect 2 --stream 0 --overwrite

echo "== 2/4 LSFA training (small preset, random backbones) -> $OUT/$CATEGORY.lsfa"
"$LSFA" train --data "$OUT/data" --category "$CATEGORY" --out "$OUT/$CATEGORY.lsfa" \
  --preset small --seed 1 --epochs 3 --threads "$THREADS" --loss-log "$OUT/losses.csv"

echo "== 3/4 evaluation -> $OUT/eval"
"$LSFA" eval --model "$OUT/$CATEGORY.lsfa" --data "$OUT/data" --out "$OUT/eval" --threads "$THREADS"

echo "== 4/4 GStreamer inspection pipeline -> $OUT/inspection.webm"
export GST_PLUGIN_PATH="$PWD/$BUILD/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
if gst-inspect-1.0 lsfa >/dev/null 2>&1; then
  gst-launch-1.0 -e \
    lsfasrc location="$OUT/data" category="$CATEGORY" split=test framerate=2/1 \
    ! lsfafeatures model="$OUT/$CATEGORY.lsfa" threads="$THREADS" \
    ! lsfascore model="$OUT/$CATEGORY.lsfa" \
    ! lsfaoverlay \
    ! videoconvert ! vp8enc deadline=1 ! webmmux ! filesink location="$OUT/inspection.webm"
  echo "annotated video: $OUT/inspection.webm"
else
  echo "the GStreamer plugin was not built (gstreamer-1.0 development files missing?)"
  exit 1
fi

echo
echo "Done. Look at:"
echo "  $OUT/eval/report.md              metrics table (I-AUROC, P-AUROC, AUPRO)"
echo "  $OUT/eval/report.grid_$CATEGORY.png  highest/lowest scoring samples with heatmaps"
echo "  $OUT/eval/report.pro.png, report.image_roc.png, report.pixel_roc.png"
echo "  $OUT/inspection.webm             annotated inspection video"
echo "  $OUT/$CATEGORY.lsfa              the model bundle (lsfa info $OUT/$CATEGORY.lsfa)"
