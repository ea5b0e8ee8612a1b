#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every suite, and ends with one line
# "N passed, N failed" counting individual test cases.
#
# Extra stages (tools/test-stages.sh), counted in the same last line with a prefix:
#   asan  the whole suite again in a gcc AddressSanitizer + UndefinedBehaviorSanitizer build
#   soak  tools/soak.sh, short (LSFA_SOAK_FRAMES frames, default 300; 3 teach / inspect cycles)
#   fuzz  every libFuzzer target for LSFA_FUZZ_SECONDS seconds (default 20; needs a clang build)
# LSFA_STAGES picks them (space separated); the default is "asan soak" in CI (CI=true) and none
# otherwise. LSFA_ASAN_TESTS: `meson test` arguments of the asan stage (default: this script's).
# docs/reliability.md has what is known of their times.
set -uo pipefail
cd "$(dirname "$0")/.."

BUILD=${LSFA_BUILD_DIR:-build}
./tools/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

WERROR=false
if [ "${CI:-}" = "true" ]; then WERROR=true; fi

if [ -d "$BUILD" ] && [ -f "$BUILD/build.ninja" ]; then
  meson configure "$BUILD" -Dwerror=$WERROR -Dtests=true >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
else
  meson setup "$BUILD" -Dwerror=$WERROR || { echo "0 passed, 1 failed"; exit 1; }
fi

start=$(date +%s)
if ! ninja -C "$BUILD"; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "build took $(( $(date +%s) - start )) s"

XML_DIR="$PWD/$BUILD/test-xml"
rm -rf "$XML_DIR" && mkdir -p "$XML_DIR"
start=$(date +%s)
GTEST_OUTPUT="xml:$XML_DIR/" meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
meson_rc=$?
echo "tests took $(( $(date +%s) - start )) s"
COUNT_ARGS=(--stage "" "$XML_DIR" "$BUILD/meson-logs/testlog.json")

# --- extra stages: each adds its results to COUNT_ARGS (tools/test-stages.sh) ---
source tools/test-stages.sh
if [ "${CI:-}" = "true" ]; then STAGES=${LSFA_STAGES-asan soak}; else STAGES=${LSFA_STAGES-}; fi
for stage in $STAGES; do
  case "$stage" in
    asan)
      if [ -n "${LSFA_ASAN_TESTS:-}" ]; then
        # shellcheck disable=SC2086
        run_sanitizer_stage "${LSFA_ASAN_BUILD_DIR:-build-asan}" $LSFA_ASAN_TESTS
      else
        run_sanitizer_stage "${LSFA_ASAN_BUILD_DIR:-build-asan}" "$@"
      fi ;;
    soak) run_soak_stage "$BUILD" "${LSFA_SOAK_FRAMES:-300}" ;;
    fuzz) run_fuzz_stage "${LSFA_FUZZ_SECONDS:-20}" ;;
    *) echo "test.sh: unknown stage $stage (asan soak fuzz)"; COUNT_ARGS+=(--results "$stage" /nonexistent) ;;
  esac
done

/usr/bin/python3 tools/count_tests.py "${COUNT_ARGS[@]}"
count_rc=$?
if [ $meson_rc -ne 0 ] || [ $count_rc -ne 0 ]; then exit 1; fi
exit 0
