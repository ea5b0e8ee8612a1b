#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every suite, and ends with one line
# "N passed, N failed" counting individual test cases over all stages.
#
# Stages (each its own build folder; a stage that fails to build counts as one failure):
#   main          the default LibTorch (the project's .venv PyTorch 2.x with CUDA), every suite;
#   libtorch-1.13 Debian's LibTorch 1.13 (-Dlibtorch=system), the library suites and the command end
#                 to end, so that both LibTorch builds stay working.
# Arguments are passed to `meson test` of the main stage (e.g. suite names).
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${LSFA_BUILD_DIR:-build}
./tools/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

WERROR=false
if [ "${CI:-}" = "true" ]; then WERROR=true; fi

COUNT_ARGS=()    # XML_DIR TESTLOG pairs for tools/count_tests.py
STAGE_FAILURES=0 # stages that could not be configured or built

# configure DIR [MESON ARGS...]: sets up or reconfigures a build folder.
configure() {
  local dir=$1
  shift
  if [ -d "$dir" ] && [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" -Dwerror=$WERROR -Dtests=true "$@" >/dev/null
  else
    meson setup "$dir" -Dwerror=$WERROR "$@"
  fi
}

# run_stage NAME DIR "MESON SETUP ARGS" "NINJA TARGETS" [MESON TEST ARGS...]
run_stage() {
  local name=$1 dir=$2 setup_args=$3 targets=$4
  shift 4
  echo "=== stage $name ($dir) ==="
  # shellcheck disable=SC2086
  if ! configure "$dir" $setup_args; then
    echo "stage $name: configure failed"
    STAGE_FAILURES=$((STAGE_FAILURES + 1))
    return
  fi
  local start
  start=$(date +%s)
  # shellcheck disable=SC2086
  if ! ninja -C "$dir" $targets; then
    echo "stage $name: build failed"
    STAGE_FAILURES=$((STAGE_FAILURES + 1))
    return
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
  COUNT_ARGS+=("$xml_dir" "$dir/meson-logs/testlog.json")
}

run_stage main "$BUILD" "" "" "$@"

# Debian's LibTorch 1.13: the library and the command only (the elements are the same code above
# the library), so that a change that breaks the older API is caught.
DEBIAN_SUITES=(core data checkpoints backbones scoring coreset adaptor_bundle training metrics
  end_to_end)
DEBIAN_TARGETS="tools/lsfa"
for s in "${DEBIAN_SUITES[@]}"; do DEBIAN_TARGETS+=" tests/test_$s"; done
if [ "${LSFA_SKIP_DEBIAN_TORCH:-}" != "1" ]; then
  run_stage libtorch-1.13 "${BUILD}-libtorch-1.13" "-Dlibtorch=system" \
    "$DEBIAN_TARGETS" "${DEBIAN_SUITES[@]}"
fi

/usr/bin/python3 tools/count_tests.py "${COUNT_ARGS[@]}" --extra-failures "$STAGE_FAILURES"
exit $?
