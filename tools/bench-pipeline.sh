#!/usr/bin/env bash
# Frame rate of the GStreamer pipeline (lsfasrc ! lsfafeatures ! lsfascore ! fakesink) against the
# whole-frame rate `lsfa bench` measures for the same preset, frame size and bank size in the same
# run: the elements should add no real overhead (target: >= 90 %).
#   tools/bench-pipeline.sh [BUILD_DIR] [FRAMES]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
FRAMES=${2:-24}
THREADS=${LSFA_THREADS:-2}
export OMP_WAIT_POLICY=passive
export GST_PLUGIN_PATH="$PWD/$BUILD/plugins"
LSFA="$BUILD/tools/lsfa"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

"$LSFA" synth --out "$WORK/data" --category ring --seed 3 --train 8 --validation 2 \
  --test-good "$FRAMES" --test-defect 0 --stream 0 --size 300x300 >/dev/null
"$LSFA" fit --data "$WORK/data" --category ring --out "$WORK/m.lsfa" --preset small \
  --threads "$THREADS" >/dev/null 2>&1
BANK=$("$LSFA" info "$WORK/m.lsfa" | awk '/^  bank/ {print $2; exit}')

run_pipeline() {  # $1 = number of frames; prints seconds
  local start end
  start=$(date +%s.%N)
  gst-launch-1.0 -q lsfasrc location="$WORK/data" category=ring split=test num-buffers="$1" \
    ! lsfafeatures model="$WORK/m.lsfa" threads="$THREADS" ! lsfascore model="$WORK/m.lsfa" \
    ! fakesink sync=false >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
# Start-up (model loading, first frame) is measured with 2 frames and subtracted.
T2=$(run_pipeline 2)
TN=$(run_pipeline "$FRAMES")
PIPE=$(echo "($TN - $T2) / ($FRAMES - 2)" | bc -l)
BENCH=$("$LSFA" bench --preset small --threads "$THREADS" --width 300 --height 300 \
  --banks "$BANK" --repeats 3 2>/dev/null | awk '/^whole frame/ {print $6}')
BENCH_S=$(echo "$BENCH / 1000" | bc -l)
printf 'pipeline: %.3f s/frame (%.2f fps); lsfa bench whole frame: %.3f s (%.2f fps); ratio %.0f %%\n' \
  "$PIPE" "$(echo "1 / $PIPE" | bc -l)" "$BENCH_S" "$(echo "1 / $BENCH_S" | bc -l)" \
  "$(echo "100 * $BENCH_S / $PIPE" | bc -l)"
