#!/usr/bin/env bash
# Ablation of the LSFA adaptation (the paper's IFC / CLC table) on synthetic data:
# for each category, no adaptation (`lsfa fit`), IFC only (`train --no-clc`), CLC only
# (`train --no-ifc`) and both (`train`), each evaluated with `lsfa eval`; the table (mean over the
# categories and one row per category) is written as ablation.md and ablation.json.
#
# usage: examples/ablation.sh [-o OUT_DIR] [-c CATEGORIES] [-e EPOCHS] [-s SEED] [-t THREADS]
#                             [-n TRAIN,VALIDATION,TEST_GOOD,TEST_DEFECT]
# defaults: OUT_DIR=ablation-out, CATEGORIES=ring,tile, EPOCHS=3, SEED=1, THREADS=2,
#           sizes 10,4,6,4. Uses build/tools/lsfa when it exists, else `lsfa` on PATH
#           (override with LSFA=/path/to/lsfa).
set -euo pipefail

out=ablation-out
categories=ring,tile
epochs=3
seed=1
threads=2
sizes=10,4,6,4
while getopts "o:c:e:s:t:n:h" opt; do
  case "$opt" in
    o) out=$OPTARG ;;
    c) categories=$OPTARG ;;
    e) epochs=$OPTARG ;;
    s) seed=$OPTARG ;;
    t) threads=$OPTARG ;;
    n) sizes=$OPTARG ;;
    h) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "ablation.sh: bad option (see -h)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
if [[ -z "${LSFA:-}" ]]; then
  if [[ -x "$here/../build/tools/lsfa" ]]; then LSFA="$here/../build/tools/lsfa"; else LSFA=lsfa; fi
fi
command -v "$LSFA" >/dev/null || { echo "ablation.sh: no lsfa binary ($LSFA)" >&2; exit 2; }
IFS=, read -r n_train n_val n_good n_defect <<<"$sizes"
[[ -n "$n_defect" ]] || { echo "ablation.sh: -n needs four numbers" >&2; exit 2; }

mkdir -p "$out"
log="$out/ablation.log"
: >"$log"
start=$(date +%s)
run() {  # run and log a command; print its last lines on failure
  echo "+ $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    echo "ablation.sh: failed: $*" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
}

IFS=, read -r -a cats <<<"$categories"
for cat in "${cats[@]}"; do
  data="$out/data-$cat"
  if [[ ! -d "$data/$cat" ]]; then
    run "$LSFA" synth --out "$data" --category "$cat" --seed "$seed" --train "$n_train" \
      --validation "$n_val" --test-good "$n_good" --test-defect "$n_defect" --stream 0
  fi
  common=(--data "$data" --category "$cat" --preset small --seed "$seed" --threads "$threads")
  for variant in none ifc clc both; do
    model="$out/$cat-$variant.lsfa"
    case "$variant" in
      none) run "$LSFA" fit "${common[@]}" --out "$model" ;;
      ifc) run "$LSFA" train "${common[@]}" --out "$model" --epochs "$epochs" --no-clc \
             --loss-log "$out/$cat-$variant.losses.csv" ;;
      clc) run "$LSFA" train "${common[@]}" --out "$model" --epochs "$epochs" --no-ifc \
             --loss-log "$out/$cat-$variant.losses.csv" ;;
      both) run "$LSFA" train "${common[@]}" --out "$model" --epochs "$epochs" \
              --loss-log "$out/$cat-$variant.losses.csv" ;;
    esac
    run "$LSFA" eval --model "$model" --data "$data" --category "$cat" --threads "$threads" \
      --out "$out/eval-$cat-$variant"
  done
done
seconds=$(($(date +%s) - start))

/usr/bin/python3 - "$out" "$categories" "$epochs" "$seed" "$seconds" <<'EOF'
import json, sys
out, cats, epochs, seed, seconds = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4], int(sys.argv[5])
variants = [("none", False, False), ("clc", False, True), ("ifc", True, False), ("both", True, True)]
keys = [("image_auroc", "I-AUROC"), ("aupro_0_3", "AUPRO"), ("pixel_auroc", "P-AUROC")]
rows = []
for name, ifc, clc in variants:
    per = {}
    for c in cats:
        with open(f"{out}/eval-{c}-{name}/report.json") as f:
            mean = json.load(f)["mean"]
        per[c] = {k: float(mean[k]) for k, _ in keys}
    avg = {k: sum(per[c][k] for c in cats) / len(cats) for k, _ in keys}
    rows.append({"variant": name, "ifc": ifc, "clc": clc, "mean": avg, "per_category": per})
mark = lambda b: "✓" if b else "✗"
md = [f"Ablation on synthetic data: categories {', '.join(cats)}, preset small (random backbones), "
      f"{epochs} epochs, seed {seed}; {seconds} s in all.", "",
      "| IFC | CLC | I-AUROC | AUPRO | P-AUROC |", "|---|---|---|---|---|"]
for r in rows:
    md.append(f"| {mark(r['ifc'])} | {mark(r['clc'])} | " +
              " | ".join(f"{r['mean'][k]:.3f}" for k, _ in keys) + " |")
md += ["", "Per category:", "", "| category | IFC | CLC | I-AUROC | AUPRO | P-AUROC |",
       "|---|---|---|---|---|---|"]
for c in cats:
    for r in rows:
        md.append(f"| {c} | {mark(r['ifc'])} | {mark(r['clc'])} | " +
                  " | ".join(f"{r['per_category'][c][k]:.3f}" for k, _ in keys) + " |")
with open(f"{out}/ablation.md", "w") as f:
    f.write("\n".join(md) + "\n")
with open(f"{out}/ablation.json", "w") as f:
    json.dump({"categories": cats, "epochs": int(epochs), "seed": int(seed), "seconds": seconds,
               "rows": rows}, f, indent=2)
print("\n".join(md))
EOF
