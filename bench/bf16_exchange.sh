#!/usr/bin/env bash
# The bfloat16 gradient exchange of two `vgg` binaries side by side (for a change to its
# conversions or its sum): float32 and bfloat16 all-reduces on one host (mpirun -np 2, shared
# memory) and on 2 network-namespace hosts × 1 rank over TCP (scripts/hosts-lib.sh; each host's
# eth0 shaped by tbf as in bench/hosts.sh), OLD and NEW interleaved, their order alternating by
# round. Each run is `vgg bench --allreduce MIB --threads 1 --iterations 3 --warmup 1` (the
# medians of its iterations, the sums checked).
#
#   bench/bf16_exchange.sh OLD NEW [OUT]      (root for the namespace hosts; OUT: raw lines)
#
# Environment: SIZES "16 64 107" (MiB), ROUNDS 3, LINKS "shm unshaped 1gbit" (shm: one host).
# Prints per link, size, binary and precision the median over rounds and the range.
# MODE=train: instead of the all-reduces, the CIFAR-A training step of bench/hosts.sh (batch 64
# per rank, 1 thread, buckets overlapping the backward pass) with --allreduce-dtype float32 and
# bf16; prints the global img/s (both ranks) and the exposed all-reduce ms.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/hosts-lib.sh
[ $# -ge 2 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
OLD=$(readlink -f "$1") NEW=$(readlink -f "$2")
out=${3:-$(mktemp)}
SIZES=${SIZES:-"16 64 107"} ROUNDS=${ROUNDS:-3} LINKS=${LINKS:-"shm unshaped 1gbit"} MODE=${MODE:-allreduce}
[ "$MODE" = train ] && SIZES="float32 bf16"
net=(--arch A --input 3x32x32 --classes 10 --skip-inference --no-layers --iterations 3 --warmup 1 --json --threads 1 --batch-size 64)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export VGG_CONV_ALGORITHM=${VGG_CONV_ALGORITHM:-automatic}
: >"$out"
for link in $LINKS; do
    link_ready "$link"
    for s in $SIZES; do
        for r in $(seq 1 "$ROUNDS"); do
            pair="old new"; [ $((r % 2)) = 0 ] && pair="new old"
            for which in $pair; do
                bin=$OLD; [ $which = new ] && bin=$NEW
                args=(bench --allreduce "$s" --threads 1 --iterations 3 --warmup 1 --json)
                [ "$MODE" = train ] && args=(bench "${net[@]}" --allreduce-dtype "$s")
                line=$(link_mpirun "$link" "$bin" "${args[@]}" 2>&1 | grep '^{' | tail -1)
                [ -n "$line" ] || { echo "bench/bf16_exchange.sh: no result ($link $s MiB $which)" >&2; exit 1; }
                echo "$link $s $which $line" >>"$out"
            done
        done
    done
done
echo "raw lines in $out"
python3 - "$out" "$MODE" <<'PY'
import json, statistics, sys
rows = {}
if sys.argv[2] == "train":
    for line in open(sys.argv[1]):
        link, dtype, which, js = line.split(" ", 3)
        r = json.loads(js)
        rows.setdefault((link, which, dtype), []).append((r["global_img_s"], r.get("allreduce_exposed_ms") or 0))
    print("| link | binary | float32 img/s | bf16 img/s | float32 exposed ms | bf16 exposed ms |")
    print("|---|---|---|---|---|---|")
    c = lambda v: "%.1f (%.1f–%.1f)" % (statistics.median(v), min(v), max(v))
    for link, which in dict.fromkeys((k[0], k[1]) for k in rows):
        f, b = rows[(link, which, "float32")], rows[(link, which, "bf16")]
        print("| %s | %s | %s | %s | %s | %s |" % (link, which, c([x[0] for x in f]), c([x[0] for x in b]), c([x[1] for x in f]), c([x[1] for x in b])))
    sys.exit(0)
for line in open(sys.argv[1]):
    link, mib, which, js = line.split(" ", 3)
    r = json.loads(js)
    for dtype in ("float32", "bfloat16"):
        rows.setdefault((link, int(mib), which, dtype), []).append(r[dtype + "_ms"])
def cell(v): return "%.1f (%.1f–%.1f)" % (statistics.median(v), min(v), max(v))
print("| link | MiB | float32 old | float32 new | bfloat16 old | bfloat16 new | bf16 new ÷ f32 new |")
print("|---|---|---|---|---|---|---|")
for link, mib in dict.fromkeys((k[0], k[1]) for k in rows):
    g = lambda w, d: rows[(link, mib, w, d)]
    print("| %s | %d | %s | %s | %s | %s | %.2f |" % (link, mib, cell(g("old", "float32")), cell(g("new", "float32")),
          cell(g("old", "bfloat16")), cell(g("new", "bfloat16")),
          statistics.median(g("new", "bfloat16")) / statistics.median(g("new", "float32"))))
PY
