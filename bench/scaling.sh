#!/usr/bin/env bash
# Data-parallel scaling on this machine, the configurations interleaved round by round so
# that drift in a shared machine's speed hits them alike. Prints each configuration's median
# global images/s and the scaling efficiency of the 2-rank runs against 2 × the 1-process,
# 1-thread rate.
#   bench/scaling.sh [ROUNDS] [extra vgg bench options]   (default: 3 rounds, VGG-A on 3x32x32)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
swift build -c release --product vgg >/dev/null
V=.build/release/vgg
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
net=(--arch A --input 3x32x32 --classes 10 --skip-inference --no-layers --iterations 5 --warmup 2 --json "$@")
declare -A runs=(
  [1p-1t-b64]="$V bench ${net[*]} --threads 1 --batch-size 64"
  [1p-1t-b128]="$V bench ${net[*]} --threads 1 --batch-size 128"
  [1p-2t-b128]="$V bench ${net[*]} --threads 2 --batch-size 128"
  [2r-1t-b64]="mpirun --oversubscribe -np 2 $V bench ${net[*]} --threads 1 --batch-size 64"
  [2r-1t-b128]="mpirun --oversubscribe -np 2 $V bench ${net[*]} --threads 1 --batch-size 128"
  [2r-1t-b64-no-overlap]="mpirun --oversubscribe -np 2 $V bench ${net[*]} --threads 1 --batch-size 64 --no-overlap"
  [2r-1t-b64-bf16]="mpirun --oversubscribe -np 2 $V bench ${net[*]} --threads 1 --batch-size 64 --allreduce-dtype bf16"
)
# Each configuration against twice the 1-process, 1-thread rate at the same batch per core.
declare -A base=([1p-1t-b64]=1p-1t-b64 [1p-1t-b128]=1p-1t-b128 [1p-2t-b128]=1p-1t-b64 [2r-1t-b64]=1p-1t-b64
  [2r-1t-b128]=1p-1t-b128 [2r-1t-b64-no-overlap]=1p-1t-b64 [2r-1t-b64-bf16]=1p-1t-b64)
order=(1p-1t-b64 2r-1t-b64 1p-2t-b128 1p-1t-b128 2r-1t-b128 2r-1t-b64-no-overlap 2r-1t-b64-bf16)
out=$(mktemp); trap 'rm -f "$out"' EXIT
for r in $(seq "$rounds"); do
  for name in "${order[@]}"; do
    line=$(${runs[$name]} 2>/dev/null | grep '^{' | tail -1)
    echo "$name $line" >>"$out"
    echo "round $r $name: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.1f img/s" % d.get("global_img_s", d["train_img_s"]))' "$line")"
  done
done
python3 - "$out" "$(for n in "${order[@]}"; do echo "$n=${base[$n]}"; done)" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, _, payload = line.partition(" ")
    rows.setdefault(name, []).append(json.loads(payload))
med = lambda xs: statistics.median(xs)
pairs = [line.split("=") for line in sys.argv[2].split()]
names = [n for n, _ in pairs]; base = dict(pairs)
rate = {n: med([d.get("global_img_s", d["train_img_s"]) for d in rows[n]]) for n in names}
print(f"\n{'configuration':24} {'img/s (median)':>15} {'efficiency':>11} {'all-reduce ms':>14} {'exposed ms':>11}   (efficiency: img/s / (2 × 1 process, 1 thread, same batch per core))")
for n in names:
    ar = [d["allreduce_ms"] for d in rows[n] if "allreduce_ms" in d]
    ex = [d["allreduce_exposed_ms"] for d in rows[n] if "allreduce_exposed_ms" in d]
    eff = rate[n] / (2 * rate[base[n]]) if n.startswith(("2r", "1p-2t")) else float("nan")
    print(f"{n:24} {rate[n]:15.1f} {eff:11.1%} {med(ar) if ar else float('nan'):14.1f} {med(ex) if ex else float('nan'):11.1f}")
print(f"\n2 ranks × 1 thread (64 each) / 1 process × 2 threads (128): {rate['2r-1t-b64'] / rate['1p-2t-b128']:.3f}")
print(rows["1p-1t-b64"][0]["settings"])
PY
