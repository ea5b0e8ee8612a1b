#!/usr/bin/env bash
# Soak test: plays a tiny synthetic data set in a loop through the whole plugin for FRAMES frames
#   lsfasrc loop=true ! lsfafeatures ! lsfascore ! lsfaoverlay ! fakesink
# sampling the process's memory (malloc's heap in use and VmRSS) and frame rate every
# LSFA_SOAK_EVERY frames, then repeats a teach / inspect cycle (lsfascore mode=teach writes a bundle,
# the inspect pipeline reloads it) LSFA_SOAK_CYCLES times with the memory after each. Exits 1 when
# the heap in use grew by 5 MiB or more after the warm-up in either part (VmRSS is reported: it also
# follows the memory malloc keeps free), 2 when a pipeline failed. Driver: tools/soak.py.
#
# usage: tools/soak.sh FRAMES
# env:   LSFA_BUILD_DIR     build directory (default build)
#        LSFA_SOAK_OUT      folder for samples.csv and cycles.csv (default: a temporary folder)
#        LSFA_SOAK_EVERY    frames per sample (default FRAMES / 200, at least 10)
#        LSFA_SOAK_WARMUP   warm-up frames left out of the growth (default FRAMES / 10, at least 50)
#        LSFA_SOAK_CYCLES   teach / inspect cycles (default 20; 0 = none)
#        LSFA_SOAK_MODALITIES  modalities of the model (default rgb,3d; "3d" skips the ViT)
#        LSFA_SOAK_FIT_ARGS more `lsfa fit` options of the model, e.g. "--groups 32 --no-preprocess"
#        LSFA_SOAK_MAX_SECONDS  end the stream part after this long even if fewer frames were
#                           played (default 0 = no limit); the report says so
#        LSFA_THREADS       LibTorch threads (default 2)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FRAMES=${1:?usage: tools/soak.sh FRAMES}
[[ "$FRAMES" =~ ^[0-9]+$ ]] && [ "$FRAMES" -ge 100 ] || { echo "soak.sh: FRAMES must be a number >= 100" >&2; exit 2; }
BUILD=${LSFA_BUILD_DIR:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
EVERY=${LSFA_SOAK_EVERY:-$(( FRAMES / 200 > 10 ? FRAMES / 200 : 10 ))}
WARMUP=${LSFA_SOAK_WARMUP:-$(( FRAMES / 10 > 50 ? FRAMES / 10 : 50 ))}
CYCLES=${LSFA_SOAK_CYCLES:-20}
MODALITIES=${LSFA_SOAK_MODALITIES:-rgb,3d}
THREADS=${LSFA_THREADS:-2}
LSFA="$BUILD/tools/lsfa"
[ -x "$LSFA" ] || { echo "soak.sh: $LSFA is missing (build first)" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
OUT=${LSFA_SOAK_OUT:-$WORK/out}
mkdir -p "$OUT"
export GST_PLUGIN_PATH="$BUILD/plugins"
export GST_REGISTRY="$WORK/registry.bin"
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS="$THREADS"

# Tiny frames, few samples: the smallest data set the fit accepts (3 held-out calibration samples).
"$LSFA" synth --out "$WORK/data" --category tile --seed 5 --train 7 --validation 3 --test-good 3 \
  --test-defect 2 --stream 0 --size 64x64 >/dev/null
fit_args=(--preset small --modalities "$MODALITIES" --threads "$THREADS")
# shellcheck disable=SC2206
[ -n "${LSFA_SOAK_FIT_ARGS:-}" ] && fit_args+=($LSFA_SOAK_FIT_ARGS)
"$LSFA" fit --data "$WORK/data" --category tile --out "$WORK/m.lsfa" "${fit_args[@]}" >/dev/null

M="$WORK/m.lsfa"
echo "soak: $FRAMES frames of 64x64 (lsfa fit ${fit_args[*]}), sample every $EVERY frames, warm-up $WARMUP frames"
rc=0
/usr/bin/python3 "$ROOT/tools/soak.py" stream --frames "$FRAMES" --every "$EVERY" \
  --warmup "$WARMUP" --csv "$OUT/samples.csv" --progress $(( EVERY * 20 )) \
  --max-seconds "${LSFA_SOAK_MAX_SECONDS:-0}" \
  --launch "lsfasrc location=$WORK/data category=tile split=test loop=true num-buffers=$FRAMES \
    ! lsfafeatures model=$M threads=$THREADS ! lsfascore model=$M ! lsfaoverlay \
    ! fakesink name=sink sync=false" || rc=$?
if [ "$CYCLES" -gt 0 ]; then
  crc=0
  /usr/bin/python3 "$ROOT/tools/soak.py" teach --data "$WORK/data" --category tile --work "$WORK" \
    --cycles "$CYCLES" --warmup $(( CYCLES / 5 > 2 ? CYCLES / 5 : 2 )) --modalities "$MODALITIES" \
    --threads "$THREADS" --csv "$OUT/cycles.csv" --progress 1 || crc=$?
  [ "$rc" -ne 0 ] || rc=$crc
fi
[ -n "${LSFA_SOAK_OUT:-}" ] && echo "soak: samples in $OUT"
if [ "$rc" -eq 0 ]; then echo "soak: passed"; else echo "soak: FAILED ($rc)"; fi
exit "$rc"
