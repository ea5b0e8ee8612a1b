#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every suite, and ends with one line
# "N passed, N failed" counting individual test cases.
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

/usr/bin/python3 tools/count_tests.py "$XML_DIR" "$BUILD/meson-logs/testlog.json"
count_rc=$?
if [ $meson_rc -ne 0 ] || [ $count_rc -ne 0 ]; then exit 1; fi
exit 0
