#!/usr/bin/env bash
# The bfloat16 exchange's instruction sets against each other (and against an OLD binary):
# NEW with VGG_BF16_LEVEL=0 (plain C), 2 (AVX-512; 1 is AVX2) and unset (its default choice),
# interleaved by round, on one host (mpirun -np 2) and on 2 network-namespace hosts × 1 rank
# (scripts/hosts-lib.sh, eth0 shaped as in bench/hosts.sh).
#
#   bench/bf16_levels.sh OLD NEW OUT      (root for the namespace hosts; OUT: raw lines)
#
# Environment: MODE train (the CIFAR-A step of bench/hosts.sh with --allreduce-dtype bf16:
# global img/s) or allreduce (`vgg bench --allreduce 107`: the bfloat16 ms); ROUNDS 4;
# LINKS "shm unshaped 1gbit"; VARIANTS "old L0 L2 default".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/hosts-lib.sh
[ $# -ge 3 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
OLD=$(readlink -f "$1") NEW=$(readlink -f "$2") out=$3
MODE=${MODE:-train} ROUNDS=${ROUNDS:-4} LINKS=${LINKS:-"shm unshaped 1gbit"} VARIANTS=${VARIANTS:-"old L0 L2 default"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export VGG_CONV_ALGORITHM=${VGG_CONV_ALGORITHM:-automatic}
net=(--arch A --input 3x32x32 --classes 10 --skip-inference --no-layers --iterations 3 --warmup 1 --json --threads 1 --batch-size 64)
args=(bench "${net[@]}" --allreduce-dtype bf16)
[ "$MODE" = allreduce ] && args=(bench --allreduce 107 --threads 1 --iterations 3 --warmup 1 --json)
: >"$out"
for link in $LINKS; do
    link_ready "$link"
    for r in $(seq 1 "$ROUNDS"); do
        for v in $VARIANTS; do
            bin=$NEW env=()
            case $v in old) bin=$OLD ;; L[012]) env=(-x "VGG_BF16_LEVEL=${v#L}") ;; default) ;; *) echo "bench/bf16_levels.sh: unknown variant $v" >&2; exit 2 ;; esac
            line=$(link_mpirun "$link" "${env[@]}" "$bin" "${args[@]}" 2>&1 | grep '^{' | tail -1)
            [ -n "$line" ] || { echo "bench/bf16_levels.sh: no result ($link $v)" >&2; exit 1; }
            echo "$link $MODE $v $line" >>"$out"
        done
    done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    link, mode, v, js = line.split(" ", 3)
    r = json.loads(js)
    rows.setdefault((link, v), []).append(r["global_img_s"] if mode == "train" else r["bfloat16_ms"])
print("| link | variant | %s, median (range) |" % ("img/s" if mode == "train" else "bfloat16 ms"))
print("|---|---|---|")
for (link, v), x in rows.items():
    print("| %s | %s | %.1f (%.1f–%.1f) |" % (link, v, statistics.median(x), min(x), max(x)))
PY
