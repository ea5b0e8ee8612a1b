#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz in their own build directory (clang, ASan + UBSan,
# -Dfuzzing=true), writes their seed corpora with the project's writers, and runs each target for
# SECONDS (default 30). Exits non-zero when a target crashes; the input that did it is kept in
# <build>/fuzz-artifacts. Corpora grow across runs in <build>/fuzz-corpus.
#
# usage: tools/fuzz.sh [SECONDS] [TARGET]     TARGET: zip pickle safetensors bundle image
#                                             depth_camera caps metas (default: all)
# env:   LSFA_FUZZ_BUILD (default build-fuzz), JOBS (ninja jobs, default 2),
#        LSFA_FUZZ_RESULTS (file to write "fuzz_<target> ok|failed" lines to, for tools/test.sh)
set -euo pipefail

SECONDS_PER_TARGET=${1:-30}
ONLY=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LSFA_FUZZ_BUILD:-$ROOT/build-fuzz}
JOBS=${JOBS:-2}
ALL=(zip pickle safetensors bundle image depth_camera caps metas)
if [ -n "$ONLY" ]; then
  [[ " ${ALL[*]} " == *" $ONLY "* ]] || { echo "fuzz.sh: unknown target $ONLY (${ALL[*]})" >&2; exit 2; }
  TARGETS=("$ONLY")
else
  TARGETS=("${ALL[@]}")
fi

command -v clang++ >/dev/null || { echo "fuzz.sh: clang is missing (tools/setup-deps.sh)" >&2; exit 2; }
CCACHE=""
command -v ccache >/dev/null && CCACHE="ccache "
if [ ! -f "$BUILD/build.ninja" ]; then
  CC="${CCACHE}clang" CXX="${CCACHE}clang++" meson setup "$BUILD" "$ROOT" \
    -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dbenchmarks=false -Dwerror=false
fi
ninja -C "$BUILD" -j"$JOBS" tests/fuzz/fuzz_make_seeds "${TARGETS[@]/#/tests/fuzz/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/fuzz/lsan.supp:print_suppressions=0}
export TMPDIR="$BUILD/fuzz-tmp"
export OMP_NUM_THREADS=1
SEEDS="$BUILD/fuzz-seeds"
mkdir -p "$TMPDIR" "$BUILD/fuzz-artifacts" "$BUILD/fuzz-logs"
if [ ! -d "$SEEDS" ]; then
  "$BUILD/tests/fuzz/fuzz_make_seeds" "$SEEDS.new"
  /usr/bin/python3 "$ROOT/tests/fuzz/make_seeds.py" "$SEEDS.new"
  mv "$SEEDS.new" "$SEEDS"
fi

failed=()
RESULTS=${LSFA_FUZZ_RESULTS:-}
[ -z "$RESULTS" ] || : >"$RESULTS"
printf '%-13s %10s %9s %7s %s\n' target runs exec/s corpus result
for t in "${TARGETS[@]}"; do
  corpus="$BUILD/fuzz-corpus/$t"
  log="$BUILD/fuzz-logs/$t.log"
  mkdir -p "$corpus" "$SEEDS/$t"
  rc=0
  # GLib and GStreamer have no frame pointers: the suppressions need the slow unwinder to see them.
  asan="$ASAN_OPTIONS"
  case "$t" in caps | metas) asan="$asan:fast_unwind_on_malloc=0" ;; esac
  ASAN_OPTIONS="$asan" "$BUILD/tests/fuzz/fuzz_$t" "$corpus" "$SEEDS/$t" -max_total_time="$SECONDS_PER_TARGET" \
    -timeout=25 -rss_limit_mb=2560 -max_len=262144 -print_final_stats=1 \
    -artifact_prefix="$BUILD/fuzz-artifacts/$t-" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="CRASH (rc $rc, see $log)"
    failed+=("$t")
  fi
  printf '%-13s %10s %9s %7s %s\n' "$t" "${runs:-?}" "${speed:-?}" "$size" "$result"
  [ -z "$RESULTS" ] || echo "fuzz_$t $([ "$rc" -eq 0 ] && echo ok || echo failed)" >>"$RESULTS"
done
rm -rf "$TMPDIR"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: crashes in ${failed[*]}; inputs in $BUILD/fuzz-artifacts" >&2
  exit 1
fi
