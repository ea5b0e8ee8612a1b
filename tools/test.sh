#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every suite, and ends with one line
# "N passed, N failed" counting individual test cases over all stages.
#
# Build stages (each its own build folder; a stage that cannot be built counts as a failure):
#   main           the default LibTorch (the project's .venv PyTorch 2.x with CUDA), every suite;
#   libtorch-1.13  Debian's LibTorch 1.13 (-Dlibtorch=system): the library suites and the command
#                  end to end, so that both LibTorch builds stay working (LSFA_SKIP_DEBIAN_TORCH=1
#                  skips it).
# Extra stages (tools/test-stages.sh), counted in the same last line with a prefix:
#   soak  tools/soak.sh, short (LSFA_SOAK_FRAMES frames, default 300; 3 teach / inspect cycles)
#   asan  the suite again in a clang AddressSanitizer + UndefinedBehaviorSanitizer build (the
#         build folder of the fuzz targets, build-fuzz/; suites left out: tools/test-stages.sh)
#   fuzz  every libFuzzer target for LSFA_FUZZ_SECONDS seconds (default 20), same build
# LSFA_STAGES picks them (space separated); the default is "soak asan fuzz" in CI (CI=true) and
# none otherwise. LSFA_ASAN_TESTS: `meson test` arguments of the asan stage (default: this
# script's). The extra stages keep to a time budget (LSFA_TIME_BUDGET_S, 80 minutes from the start
# in CI): one that cannot finish within it is counted as skipped, saying so.
# Arguments are passed to `meson test` of the main stage (e.g. suite names).
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${LSFA_BUILD_DIR:-build}
TEST_START=$(date +%s) # the extra stages' time budget counts from here (tools/test-stages.sh)
./tools/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

WERROR=false
if [ "${CI:-}" = "true" ]; then WERROR=true; fi

COUNT_ARGS=() # --stage / --results arguments of tools/count_tests.py
MAIN_BUILT=0

# run_build_stage NAME DIR "MESON SETUP ARGS" "NINJA TARGETS" [MESON TEST ARGS...]
# Empty NINJA TARGETS builds everything.
run_build_stage() {
  local name=$1 dir=$2 setup_args=$3 targets=$4
  shift 4
  echo "=== stage $name ($dir) ==="
  local configured=0
  if [ -d "$dir" ] && [ -f "$dir/build.ninja" ]; then
    # shellcheck disable=SC2086
    meson configure "$dir" -Dwerror=$WERROR -Dtests=true -Dcpp_std=c++20 $setup_args >/dev/null && configured=1
  else
    # shellcheck disable=SC2086
    meson setup "$dir" -Dwerror=$WERROR $setup_args && configured=1
  fi
  if [ $configured -ne 1 ]; then
    echo "stage $name: configure failed"
    COUNT_ARGS+=(--results "$name" /nonexistent)
    return 1
  fi
  local start
  start=$(date +%s)
  # shellcheck disable=SC2086
  if ! ninja -C "$dir" $targets; then
    echo "stage $name: build failed"
    COUNT_ARGS+=(--results "$name" /nonexistent)
    return 1
  fi
  echo "stage $name: build took $(($(date +%s) - start)) s"
  local xml_dir="$PWD/$dir/test-xml"
  rm -rf "$xml_dir" && mkdir -p "$xml_dir"
  start=$(date +%s)
  local rebuild=()
  if [ -n "$targets" ]; then rebuild=(--no-rebuild); fi
  GTEST_OUTPUT="xml:$xml_dir/" meson test -C "$dir" "${rebuild[@]}" --print-errorlogs \
    --num-processes 2 "$@"
  echo "stage $name: tests took $(($(date +%s) - start)) s"
  COUNT_ARGS+=(--stage "$name" "$xml_dir" "$dir/meson-logs/testlog.json")
}

run_build_stage main "$BUILD" "" "" "$@" && MAIN_BUILT=1

# Debian's LibTorch 1.13: the library and the command only (the elements are the same code above
# the library), so that a change that breaks the older API is caught.
DEBIAN_SUITES=(core data checkpoints backbones scoring coreset adaptor_bundle training metrics
  end_to_end)
DEBIAN_TARGETS="tools/lsfa"
for s in "${DEBIAN_SUITES[@]}"; do DEBIAN_TARGETS+=" tests/test_$s"; done
if [ "${LSFA_SKIP_DEBIAN_TORCH:-}" != "1" ]; then
  run_build_stage libtorch-1.13 "${BUILD}-libtorch-1.13" "-Dlibtorch=system" \
    "$DEBIAN_TARGETS" "${DEBIAN_SUITES[@]}"
fi

# --- extra stages: each adds its results to COUNT_ARGS (tools/test-stages.sh) ---
source tools/test-stages.sh
if [ "${CI:-}" = "true" ]; then STAGES=${LSFA_STAGES-soak asan fuzz}; else STAGES=${LSFA_STAGES-}; fi
for stage in $STAGES; do
  case "$stage" in
    asan)
      if [ -n "${LSFA_ASAN_TESTS:-}" ]; then
        # shellcheck disable=SC2086
        run_sanitizer_stage "${LSFA_ASAN_BUILD_DIR:-${LSFA_FUZZ_BUILD:-build-fuzz}}" $LSFA_ASAN_TESTS
      else
        run_sanitizer_stage "${LSFA_ASAN_BUILD_DIR:-${LSFA_FUZZ_BUILD:-build-fuzz}}" "$@"
      fi ;;
    soak)
      if [ $MAIN_BUILT -eq 1 ]; then
        run_soak_stage "$BUILD" "${LSFA_SOAK_FRAMES:-300}"
      else
        COUNT_ARGS+=(--results soak /nonexistent)
      fi ;;
    fuzz) run_fuzz_stage "${LSFA_FUZZ_SECONDS:-20}" ;;
    *) echo "test.sh: unknown stage $stage (asan soak fuzz)"; COUNT_ARGS+=(--results "$stage" /nonexistent) ;;
  esac
done

/usr/bin/python3 tools/count_tests.py "${COUNT_ARGS[@]}"
exit $?
