#!/usr/bin/env bash
# Hierarchical all-reduce against the flat ones: 2 network-namespace hosts × 2 ranks
# (scripts/hosts-lib.sh), the ranks of one host over shared memory (`--mca btl
# tcp,vader,self`), the hosts over TCP on the veth network, each host's eth0 shaped by tbf as in
# bench/hosts.sh. For each link and size, every variant in turn, ROUNDS rounds interleaved
# (the machine is shared: medians and spreads, not single runs); each run `vgg bench
# --allreduce MIB` (float32 and bfloat16, medians of its iterations, the sums checked).
#
#   bench/hier.sh [OUT]      (needs root; OUT: the raw JSON lines, default a temporary file)
#
# Environment (defaults in brackets):
#   LINKS    "unshaped 1gbit"    SIZES "16 107"    ROUNDS 3    VGG (.build/release/vgg)
#   VARIANTS "NAME:MPIRUN AND VGG OPTIONS;…"  (default: tcp-only: today's hmpirun, every byte on
#            TCP; tuned: Open MPI's default coll over vader+tcp; han: Open MPI's hierarchical
#            component; leader, scatter: --allreduce-scheme)
# Prints a table: per link, size, variant and precision the median over rounds and the range.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/hosts-lib.sh
reason=$(hosts_reason)
[ -z "$reason" ] || { echo "bench/hier.sh: $reason" >&2; exit 1; }
command -v tc >/dev/null || { echo "bench/hier.sh: tc not found (apt-get install iproute2)" >&2; exit 1; }
LINKS=${LINKS:-"unshaped 1gbit"}
SIZES=${SIZES:-"16 107"}
ROUNDS=${ROUNDS:-3}
V=${VGG:-$PWD/.build/release/vgg}
[ -x "$V" ] || { echo "bench/hier.sh: $V not found (swift build -c release --product vgg)" >&2; exit 1; }
VARIANTS=${VARIANTS-"tcp-only:btl=tcp,self --allreduce-scheme flat;tuned:--allreduce-scheme flat;han:--mca coll_han_priority 100 --mca coll_han_use_simple_allreduce 1 --allreduce-scheme flat;leader:--allreduce-scheme leader;scatter:--allreduce-scheme scatter"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export VGG_CONV_ALGORITHM=${VGG_CONV_ALGORITHM:-automatic}
out=${1:-$(mktemp)}
: >"$out"
trap hosts_down EXIT
trap 'exit 130' INT TERM
hosts_up 2
T=$HOSTS_DIR
hostfile "$T/hosts" 2 "${HOSTS[1]}" "${HOSTS[2]}"

IFS=';' read -ra variants <<<"$VARIANTS"
start=$(date +%s)
for link in $LINKS; do
    shape "$link"
    for s in $SIZES; do
        for r in $(seq 1 "$ROUNDS"); do
            for v in "${variants[@]}"; do
                name=${v%%:*} btl=tcp,vader,self opts=()
                for w in ${v#*:}; do case $w in btl=*) btl=${w#btl=} ;; *) opts+=("$w") ;; esac; done
                mca=() vgg=() i=0
                while [ $i -lt ${#opts[@]} ]; do
                    if [ "${opts[i]}" = --mca ]; then mca+=(--mca "${opts[i+1]}" "${opts[i+2]}"); i=$((i + 3))
                    else vgg+=("${opts[i]}"); i=$((i + 1)); fi
                done
                log="$T/run.log"
                if ! HMPI_BTL=$btl hmpirun --hostfile "$T/hosts" -np 4 "${mca[@]}" "$V" bench --allreduce "$s" --threads 1 \
                        --iterations 3 --warmup 1 --json "${vgg[@]}" >"$log" 2>&1; then
                    echo "bench/hier.sh: failed ($link $s $name): $(tail -5 "$log")" >&2; exit 1
                fi
                line=$(grep '^{' "$log" | tail -1)
                echo "$link $s $name $line" >>"$out"
                echo "  $link $s MiB $name (round $r): $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r=r.get("record", r); print("float32 %.0f ms, bf16 %.0f ms (%s)" % (r["float32_ms"], r["bfloat16_ms"], r["scheme"]))' "$line")"
            done
        done
    done
done
echo "measured in $(( $(date +%s) - start )) s; raw lines in $out"
python3 bench/hier_tables.py "$out"
