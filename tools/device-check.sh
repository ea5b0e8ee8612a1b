#!/usr/bin/env bash
# The GPU device check (docs/gpu.md): builds the GPU-relevant targets against the Python's own CUDA
# PyTorch, runs the CUDA tests (kernels against the CPU, CPU-vs-GPU parity), `lsfa bench --device
# cuda:0` for the paper and vit-s8 presets in fp32, tf32 and bf16, the coreset kernel, and a
# whole-pipeline frame rate, and writes device-check-summary.md (plus JSON and logs) to $OUT.
# Made for a machine with one NVIDIA GPU, 16 cores and no network; each step has its own time limit
# so that the whole run stays under 8 minutes.
#
#   tools/device-check.sh [--dry-run] [--cpu]
#     --dry-run  check the machine and print the plan; build and run nothing
#     --cpu      the same steps on the CPU with small sizes (exercises the script without a GPU)
#
# Environment: OUT (summary folder, default ./device-check-out), PYTHON (default python3),
# DEPS_PREFIX (Debian packages unpacked by tools/device-deps.sh, default shared/device-deps),
# BUILD (build folder, default build-device), JOBS (default: all cores).
set -u -o pipefail

dry_run=0
device=cuda:0
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=1 ;;
    --cpu) device=cpu ;;
    -h | --help)
      sed -n '2,16p' "$0"
      exit 0
      ;;
    *)
      echo "device-check: unknown option $arg (expected --dry-run or --cpu)" >&2
      exit 2
      ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/device-check-out}
python=${PYTHON:-python3}
deps=${DEPS_PREFIX:-$root/shared/device-deps}
build=${BUILD:-$root/build-device}
jobs=${JOBS:-$(nproc)}
mkdir -p "$out/logs"
summary=$out/device-check-summary.md
start=$(date +%s)

note() { echo "$*" | tee -a "$summary"; }
elapsed() { echo $(($(date +%s) - start)); }

: >"$summary"
note "# gst-lsfa device check"
note ""
note "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname), $(nproc) cores, device $device"

# --------------------------------------------------------------------------------- the machine
problems=0
check() { # check DESCRIPTION COMMAND...: one line of the summary, counts failures
  local what=$1
  shift
  local got
  if got=$("$@" 2>&1); then
    note "- $what: ${got//$'\n'/ }"
  else
    note "- $what: MISSING (${got//$'\n'/ })"
    problems=$((problems + 1))
  fi
}
torch_dir=$("$python" -W ignore -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null)
check "python torch" "$python" -W ignore -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)'
if [ "$device" != cpu ]; then
  check "CUDA device" "$python" -W ignore -c 'import torch; assert torch.cuda.is_available(), "torch.cuda.is_available() is False"; print(torch.cuda.get_device_name(0))'
  check "nvcc" bash -c 'command -v nvcc >/dev/null || export PATH=$PATH:/usr/local/cuda/bin; nvcc --version | tail -1'
fi
check "meson" meson --version
check "ninja" ninja --version

# Build dependencies: the machine's own, else the unpacked Debian packages.
if [ -d "$deps" ]; then
  note "- dependency prefix: $deps"
  export PKG_CONFIG_PATH="$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig:$deps/usr/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export PKG_CONFIG_SYSROOT_DIR=
  export CPATH="$deps/usr/include:$deps/usr/include/opencv4${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export CMAKE_PREFIX_PATH="$deps/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  # The .pc files of unpacked packages name /usr as their prefix.
  export PKG_CONFIG="$root/tools/device-pkg-config.sh"
  export LSFA_DEPS_PREFIX=$deps
fi
command -v nvcc >/dev/null || export PATH=$PATH:/usr/local/cuda/bin
for pc in opencv4 nlohmann_json yaml-cpp libzip libcrypto; do
  check "pkg-config $pc" ${PKG_CONFIG:-pkg-config} --modversion "$pc"
done
note ""

if [ "$dry_run" = 1 ]; then
  note "Dry run: $problems problem(s). Plan: meson setup $build -Dlibtorch=$torch_dir -Dplugin=disabled" \
    "-Dbenchmarks=false -Dcuda=$([ "$device" = cpu ] && echo auto || echo enabled);" \
    "ninja -j$jobs tools/lsfa tests/test_gpu tests/test_device; test_gpu; test_device;" \
    "lsfa bench (paper, vit-s8; fp32, tf32, bf16) on $device; coreset; pipeline frame rate."
  exit $((problems > 0))
fi
if [ "$problems" -gt 0 ]; then
  note "Stopping: $problems requirement(s) missing (see above)."
  exit 1
fi

# ------------------------------------------------------------------------------------- steps
failures=0
step() { # step NAME SECONDS COMMAND...: runs with a time limit, logs, records the outcome
  local name=$1 limit=$2
  shift 2
  local t0=$(date +%s) rc
  timeout --kill-after=10 "$limit" "$@" >"$out/logs/$name.log" 2>&1
  rc=$?
  local dt=$(($(date +%s) - t0))
  if [ $rc = 0 ]; then
    note "- $name: ok (${dt} s)"
  else
    [ $rc = 124 ] && note "- $name: TIMED OUT after ${limit} s" || note "- $name: FAILED (exit $rc, ${dt} s; logs/$name.log)"
    failures=$((failures + 1))
  fi
  return $rc
}

note "## Build"
cuda_opt=enabled
[ "$device" = cpu ] && cuda_opt=auto
if [ ! -f "$build/build.ninja" ]; then
  step configure 120 meson setup "$build" "$root" -Dlibtorch="$torch_dir" -Dplugin=disabled \
    -Dbenchmarks=false -Dcuda=$cuda_opt -Dbuildtype=release || exit 1
fi
step build 270 ninja -C "$build" -j"$jobs" tools/lsfa tests/test_gpu tests/test_device || exit 1
lsfa=$build/tools/lsfa
"$lsfa" --version >"$out/version.txt" 2>&1
note ""
note '```'
tee -a "$summary" <"$out/version.txt"
note '```'

note ""
note "## Tests"
export LSFA_TEST_PYTHON=/usr/bin/python3 LSFA_TOOL=$lsfa OMP_NUM_THREADS=${OMP_NUM_THREADS:-8}
for suite in gpu device; do
  step "test_$suite" 150 "$build/tests/test_$suite" --gtest_output="xml:$out/test_$suite.xml"
  "$python" - "$out/test_$suite.xml" >>"$summary" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception as e:
    print(f"  (no report: {e})"); sys.exit()
for c in root.iter("testcase"):
    r = "SKIPPED" if c.get("result") == "skipped" else ("FAILED" if c.find("failure") is not None else "passed")
    print(f"  - {c.get('classname')}.{c.get('name')}: {r} ({c.get('time')} s)")
EOF
done
grep -h "relative error" "$out/logs/test_gpu.log" "$out/logs/test_device.log" 2>/dev/null | sed 's/^/  - /' >>"$summary"

note ""
note "## lsfa bench --device $device (best of 3, 800 x 800 frame)"
banks=20000
reps=3
[ "$device" = cpu ] && banks=500 && reps=1
bench() { # bench PRESET PRECISION
  local name="bench_$1_$2"
  step "$name" 90 "$lsfa" bench --preset "$1" --device "$device" --precision "$2" --banks "$banks" \
    --batch 8 --repeats "$reps" --threads "$jobs" --json "$out/$name.json"
  grep -E "whole frame|ViT forward|relative error|scoring" "$out/logs/$name.log" | sed 's/^/    /' >>"$summary"
}
presets="paper vit-s8"
[ "$device" = cpu ] && presets="small"
for preset in $presets; do
  for precision in fp32 tf32 bf16; do
    [ "$(elapsed)" -gt 400 ] && note "- bench $preset $precision: skipped (time)" && continue
    bench "$preset" "$precision"
  done
done

note ""
note "## Coreset kernel"
cs=200000:20000:1152
[ "$device" = cpu ] && cs=4000:400:64
step coreset 60 "$lsfa" bench --coreset "$cs" --device "$device" --json "$out/coreset.json"
grep -E "^coreset" "$out/logs/coreset.log" | sed 's/^/    /' >>"$summary"

note ""
note "## Whole pipeline (lsfa eval --device $device: read, preprocess, extract, score every frame)"
data=$out/pipeline-data
pp=paper
[ "$device" = cpu ] && pp=small
if [ "$(elapsed)" -lt 420 ]; then
  step synth 120 "$lsfa" synth --out "$data" --category ring --train 6 --validation 3 \
    --test-good 12 --test-defect 4 --size 320x320 &&
    step fit 90 "$lsfa" fit --data "$data" --category ring --out "$out/ring.lsfa" --preset "$pp" \
      --device "$device" --threads "$jobs" &&
    step eval 90 "$lsfa" eval --model "$out/ring.lsfa" --data "$data" --category ring \
      --device "$device" --threads "$jobs" --grid 0
  if [ -f "$out/logs/eval.log" ]; then
    frames=16
    secs=$(grep -o "eval: ok ([0-9]* s)" "$summary" | grep -o "[0-9]*" | tail -1)
    [ -n "$secs" ] && [ "$secs" -gt 0 ] && note "    $frames frames in ${secs} s wall (incl. start-up, file reading, metrics): $(awk "BEGIN{print $frames/$secs}") frames/s"
  fi
else
  note "- pipeline: skipped (time)"
fi

note ""
note "Total $(elapsed) s, $failures failed step(s)."
exit $((failures > 0))
