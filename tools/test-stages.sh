# Extra stages of tools/test.sh (sourced by it). Each stage appends its results to the COUNT_ARGS
# array that tools/count_tests.py sums into the last line "N passed, N failed", under a prefix.
#
# Time budget: CI stops a run after 90 minutes. The extra stages run within LSFA_TIME_BUDGET_S
# seconds from the start of tools/test.sh (TEST_START; default 4 800 = 80 minutes in CI, none
# elsewhere): a stage that would start, or is still building or testing, past the budget is
# stopped and counted as one *skipped* test that says so ("<stage> skipped: time budget"), not as
# passed, so that a slow machine shows up in the summary instead of failing the whole run.

# seconds_left: seconds of the budget still left (a large number when there is no budget).
seconds_left() {
  local budget=${LSFA_TIME_BUDGET_S:-}
  if [ -z "$budget" ]; then
    if [ "${CI:-}" = "true" ]; then budget=4800; else budget=0; fi
  fi
  if [ "$budget" -le 0 ]; then echo 1000000; return; fi
  echo $(( TEST_START + budget - $(date +%s) ))
}

# skip_stage NAME WHY: counts stage NAME as one skipped test.
skip_stage() {
  local file="$PWD/${BUILD:-build}/stage-$1-skipped.txt"
  mkdir -p "$(dirname "$file")"
  echo "stage $1: skipped ($2)"
  echo "$1 skipped $2" >"$file"
  COUNT_ARGS+=(--results "$1" "$file")
}

# run_stage NAME BUILD_DIR "MESON_ARGS" [MESON_TEST_ARGS...]
# Configures BUILD_DIR with MESON_ARGS (once; later runs reuse it), builds it, runs its suite with
# `meson test MESON_TEST_ARGS` (e.g. --no-suite X, test names) and registers the results as NAME.
# The environment of the caller (sanitizer options, ...) reaches the tests. The build and the tests
# stop at the end of the time budget (the stage is then counted as skipped).
run_stage() {
  local name=$1 build=$2 meson_args=$3
  shift 3
  local start
  start=$(date +%s)
  echo "=== stage $name: $build ($meson_args)"
  if [ ! -f "$build/build.ninja" ]; then
    # shellcheck disable=SC2086
    if ! meson setup "$build" $meson_args; then
      COUNT_ARGS+=(--results "$name" /nonexistent)
      return
    fi
  fi
  local left rc=0
  left=$(seconds_left)
  if [ "$left" -le 60 ]; then
    skip_stage "$name" "time budget: no time left to build"
    return
  fi
  # shellcheck disable=SC2086
  timeout "$left" ninja -C "$build" ${LSFA_JOBS:+-j$LSFA_JOBS} || rc=$?
  if [ $rc -eq 124 ]; then
    skip_stage "$name" "time budget: the build did not finish in the ${left} s left"
    return
  elif [ $rc -ne 0 ]; then
    echo "stage $name: build failed"
    COUNT_ARGS+=(--results "$name" /nonexistent)
    return
  fi
  echo "stage $name: build took $(( $(date +%s) - start )) s"
  local xml="$PWD/$build/test-xml"
  rm -rf "$xml" && mkdir -p "$xml"
  start=$(date +%s)
  left=$(seconds_left)
  if [ "$left" -le 60 ]; then
    skip_stage "$name" "time budget: no time left for its tests"
    return
  fi
  rc=0
  GTEST_OUTPUT="xml:$xml/" timeout "$left" meson test -C "$build" --print-errorlogs \
    --num-processes 2 "$@" || rc=$?
  echo "stage $name: tests took $(( $(date +%s) - start )) s"
  if [ $rc -eq 124 ]; then
    skip_stage "$name" "time budget: its tests did not finish in the ${left} s left"
    return
  fi
  COUNT_ARGS+=(--stage "$name" "$xml" "$build/meson-logs/testlog.json")
}

# The suite built with clang's AddressSanitizer + UndefinedBehaviorSanitizer, in the same build
# folder as the fuzz targets (tools/fuzz.sh: -Dfuzzing=true adds libFuzzer's coverage hooks and
# makes every sanitizer finding fatal), so that one instrumented build serves both stages. Any
# finding fails the test that made it; leaks are checked at exit with tests/sanitizers/lsan.supp
# (third-party libraries only, each entry explained there). Left out: the suites in
# LSFA_ASAN_SKIP_SUITES, by default only host-programs: the tests that run Debian's
# gst-launch-1.0, gst-inspect-1.0 and python3, which are built without ASan and cannot load an
# ASan-built plugin (the runtime must be the first library loaded); the same element code runs
# in-process in the other plugin suites. (If CI time demands it, leaving out the suite gst-lsfa,
# e.g. LSFA_ASAN_SKIP_SUITES="host-programs gst-lsfa", runs only the element suites.)
# Warnings are the main build's business (-Werror in CI): the instrumentation changes the
# compiler's flow analysis, so this build does not treat them as errors.
# run_sanitizer_stage BUILD_DIR [MESON_TEST_ARGS...]
SANITIZER_SKIP_SUITES=${LSFA_ASAN_SKIP_SUITES-"host-programs"}
run_sanitizer_stage() {
  local build=$1
  shift
  command -v clang++ >/dev/null || {
    echo "stage asan: clang is missing (tools/setup-deps.sh)"
    COUNT_ARGS+=(--results asan /nonexistent)
    return
  }
  # local -x: exported to the build and the tests of this stage only.
  local -x ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:print_summary=1"
  local -x UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  local -x LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
  # Scan plugins in the test process: Debian's gst-plugin-scanner cannot load the ASan plugin.
  local -x GST_REGISTRY_FORK=no
  local -x CC="clang" CXX="clang++"
  if command -v ccache >/dev/null; then CC="ccache clang" CXX="ccache clang++"; fi
  local skip=() suite
  for suite in $SANITIZER_SKIP_SUITES; do skip+=(--no-suite "$suite"); done
  # ASan and UBSan make the code 2-3x slower (the coreset suite: 103-120 s against its 120 s
  # timeout on 2 cores): the suites' timeouts are tripled here.
  run_stage asan "$build" "$(sanitizer_meson_args)" --timeout-multiplier 3 "${skip[@]}" "$@"
}

# The meson options of the instrumented build shared by the asan and fuzz stages (tools/fuzz.sh
# sets up the same folder with the same options when it runs first).
sanitizer_meson_args() {
  echo "-Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized -Dbenchmarks=false -Dwerror=false"
}

# tools/soak.sh FRAMES with its memory check (3 teach / inspect cycles), as one test.
# run_soak_stage BUILD_DIR FRAMES
run_soak_stage() {
  local build=$1 frames=$2 start results="$1/soak-results.txt"
  start=$(date +%s)
  echo "=== stage soak: $frames frames"
  if LSFA_BUILD_DIR="$build" LSFA_SOAK_CYCLES=3 ./tools/soak.sh "$frames"; then
    echo "soak ok" >"$results"
  else
    echo "soak failed" >"$results"
  fi
  echo "stage soak: took $(( $(date +%s) - start )) s"
  COUNT_ARGS+=(--results soak "$results")
}

# Every fuzz target for SECONDS (tools/fuzz.sh), one test each.
# run_fuzz_stage SECONDS
run_fuzz_stage() {
  local seconds=$1 start results
  results="${LSFA_FUZZ_BUILD:-$PWD/build-fuzz}/fuzz-results.txt"
  start=$(date +%s)
  echo "=== stage fuzz: $seconds s per target"
  mkdir -p "$(dirname "$results")"
  rm -f "$results"  # a failed build must not count the last run's results
  local left rc=0
  left=$(seconds_left)
  if [ "$left" -le $(( 8 * seconds + 60 )) ]; then
    skip_stage fuzz "time budget: ${left} s left, 8 targets x ${seconds} s needed"
    return
  fi
  LSFA_FUZZ_RESULTS="$results" timeout "$left" ./tools/fuzz.sh "$seconds" || rc=$?
  if [ $rc -eq 124 ]; then
    skip_stage fuzz "time budget: the build or the runs did not finish in the ${left} s left"
    return
  fi
  echo "stage fuzz: took $(( $(date +%s) - start )) s"
  COUNT_ARGS+=(--results fuzz "$results")
}
