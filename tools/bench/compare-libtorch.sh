#!/usr/bin/env bash
# Compares two builds of lsfa (e.g. against LibTorch 2.x and Debian's 1.13) stage by stage:
# runs `lsfa bench` of each alternately (A B A B ...), so that both see the same machine state, and
# prints a markdown table of each stage's best ratio to its own same-run sgemm.
#
#   tools/bench/compare-libtorch.sh BUILD_A BUILD_B [ROUNDS] [-- lsfa bench options]
#   e.g. tools/bench/compare-libtorch.sh build build-libtorch-1.13 2 -- --preset paper --banks 20000
set -euo pipefail
A=$1
B=$2
ROUNDS=${3:-2}
shift $(($# >= 3 ? 3 : $#))
[ "${1:-}" = "--" ] && shift
BENCH_ARGS=("$@")
[ ${#BENCH_ARGS[@]} -eq 0 ] && BENCH_ARGS=(--preset paper --threads 2 --banks 20000 --repeats 2)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for r in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    dir=${!side}
    echo "round $r: $dir" >&2
    "$dir/tools/lsfa" bench "${BENCH_ARGS[@]}" --json "$OUT/$side-$r.json" >/dev/null
  done
done
/usr/bin/python3 - "$OUT" "$A" "$B" "$("$A/tools/lsfa" --version | sed -n 2p)" \
  "$("$B/tools/lsfa" --version | sed -n 2p)" <<'PY'
import glob, json, os, sys
out, a, b, va, vb = sys.argv[1:6]
def load(side):
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, side + "-*.json")))]
    best = {}
    for r in runs:
        for st in r["stages"]:
            key = st["name"]
            cur = best.get(key)
            if cur is None or st["seconds"] < cur["seconds"]:
                best[key] = dict(st, sgemm=r["sgemm_gflops"])
    frame = min(r["frame_seconds"] for r in runs)
    return runs, best, frame
ra, ba, fa = load("A")
rb, bb, fb = load("B")
print(f"| stage | {va} ms | / sgemm | {vb} ms | / sgemm |")
print("|---|---:|---:|---:|---:|")
for name in ba:
    x, y = ba[name], bb.get(name)
    def cell(s):
        if s is None: return "| | "
        r = f"{100 * s['ratio_to_sgemm']:.0f} %" if s["gflop"] > 0 else ""
        return f"{1e3 * s['seconds']:.0f} | {r}"
    print(f"| {name} | {cell(x)} | {cell(y)} |")
print(f"| whole frame | {1e3 * fa:.0f} | | {1e3 * fb:.0f} | |")
sa = max(r["sgemm_gflops"] for r in ra); sb = max(r["sgemm_gflops"] for r in rb)
print(f"\nsame-run sgemm: {sa:.1f} GFLOP/s ({a}), {sb:.1f} GFLOP/s ({b}); "
      f"whole frame {va}: {fa / fb:.2f}x the time of {vb}")
PY
