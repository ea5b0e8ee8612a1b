# Shared by the example tests (sourced). Environment from tests/meson.build: LSFA_TOOL,
# LSFA_SOURCE_ROOT, GST_PLUGIN_PATH, GST_REGISTRY, INSPECT_APP.
set -euo pipefail
export OMP_WAIT_POLICY=passive
EXAMPLES="$LSFA_SOURCE_ROOT/examples"
PY=/usr/bin/python3
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lsfa-example-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# A tiny data set ($WORK/data, category ring: 8 test frames, 4 stream frames) and a fitted bundle
# ($WORK/ring.lsfa).
make_data_and_model() {
  "$LSFA_TOOL" synth --out "$WORK/data" --category ring --seed 3 --train 6 --validation 3 \
    --test-good 2 --test-defect 1 --stream 4 --size 96x72 > /dev/null
  "$LSFA_TOOL" fit --data "$WORK/data" --category ring --out "$WORK/ring.lsfa" --preset small \
    --threads 2 > /dev/null
}

# Number of test samples of the data set (= frames lsfasrc plays).
test_frames() {
  find "$WORK/data/ring/test" -path '*/rgb/*.png' | wc -l
}

# Decodes a WebM file; prints "FRAMES WIDTHxHEIGHT" (fails on a file that does not decode).
webm_frames() {
  "$PY" "$LSFA_SOURCE_ROOT/tests/examples/webm_frames.py" "$1"
}
