#!/usr/bin/env bash
# The network, measured: all-reduces and data-parallel training steps between hosts made of
# network namespaces on this machine (scripts/hosts-lib.sh: veth pairs on a bridge, each host
# its own address; mpirun's launcher enters a namespace instead of using ssh; `--mca btl
# tcp,self` and the interface options put every byte on the veth network), each host's link
# shaped by `tc qdisc … tbf` on its eth0 (egress: every byte a host sends leaves at the rate).
#
#   bench/hosts.sh [OUT]      (needs root; OUT: where the raw JSON lines go, default a temporary file)
#
# Environment (defaults in brackets):
#   LINKS     "unshaped 10gbit 1gbit"      tbf rates, `unshaped` for the bare veth
#   HOSTS_N   "2 4"                        numbers of hosts for the all-reduces
#   SIZES     "0.01 1 16 107"              MiB of float32 gradients (107: VGG-A on 32x32, 10 classes)
#   BIG       553                          MiB also measured on 2 hosts (VGG-16's gradients); empty: not
#   TRAIN     1                            0: skip the training steps
#   VARIANTS  "NAME:MPIRUN OPTIONS;…"      Open MPI settings tried on the slowest link (default: the
#                                          all-reduce algorithm forced to ring, recursive doubling and
#                                          reduce+bcast; 4 TCP connections per pair; ring with 4)
#   VARIANT_MIB 107                        their size
#   TRAIN_VARIANT "4-tcp-links:--mca btl_tcp_links 4"   the training step with these settings too
#   LATENCY   none                         one-way delays in µs added on every link by tools/delayline.c
#                                          (a switch that holds each frame, in place of the bridge; for
#                                          kernels without sch_netem), e.g. "0 100 1000"; `none`: the bridge.
#                                          Each link is then measured at each delay (tagged LINK@USus),
#                                          after a UDP ping (bench/udp_rtt.py, the round trip it gives)
#   TRAIN_BUCKETS ""                       with LATENCY: the training step also with --bucket-mb M for each M
#   SMALL_ITERATIONS 20                    iterations of the all-reduces of at most 1 MiB (3 above)
#                                          and bench/allreduce_loop.c (back-to-back MPI_Allreduce, no
#                                          barrier between: the steady state; compiled with mpicc)
#                                          (with LATENCY, mpirun gets HMPI_OPTS, default
#                                          --mca mpi_yield_when_idle 1)
#   VGG       (built)                      the vgg binary to measure (default: swift build -c release)
#   ALLREDUCE 1                            0: with LATENCY, only bench/allreduce_loop.c, no `vgg bench
#                                          --allreduce` (with TRAIN=0 nothing is built: no vgg needed)
# Measures, for each link: `vgg bench --allreduce S` (float32 and bfloat16, medians) on each
# number of hosts, 1 rank per host; then the CIFAR-sized VGG-A training step (`vgg bench --arch
# A --input 3x32x32 --classes 10`, 1 thread, batch 64 per rank) on 2 hosts with overlap (the
# default), and on the slowest link also --no-overlap and --allreduce-dtype bf16, beside 1
# process alone; one TCP stream per link (bench/tcp_stream.py, the link's goodput); Open MPI's
# all-reduce algorithm and TCP connections per pair forced one by one on the slowest link. Prints the tables with the ring formula 2(N-1)/N · S/B + 2(N-1)·α beside them
# a least-squares fit t = a + S/B_eff per link, number of hosts and precision, and the link model
# that bench/projection.py --fit uses (bench/hosts_tables.py; docs/distributed.md, "Measured on
# shaped links").
# netem is not in every kernel (not in this machine's): with LATENCY, tools/delayline.c (compiled
# with cc at the start) replaces the bridge and holds every frame for the delay, one way, run
# with chrt -f 10 (DELAY_CHRT=, empty: not) so that the loaded machine delays it less; its own
# ceiling and added delay are measured by the rtt and tcp lines of the 0 µs delay; the tables
# and the latency fit are then bench/latency_tables.py's. Everything made is removed on exit, also
# on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/hosts-lib.sh
reason=$(hosts_reason)
[ -z "$reason" ] || { echo "bench/hosts.sh: $reason" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "bench/hosts.sh: mpirun not found (scripts/setup.sh installs Open MPI)" >&2; exit 1; }
command -v tc >/dev/null || { echo "bench/hosts.sh: tc not found (apt-get install iproute2)" >&2; exit 1; }
renice -n 10 $$ >/dev/null
LINKS=${LINKS:-"unshaped 10gbit 1gbit"}
HOSTS_N=${HOSTS_N:-"2 4"}
SIZES=${SIZES:-"0.01 1 16 107"}
BIG=${BIG-553}
TRAIN=${TRAIN:-1}
rules="--mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm"
VARIANTS=${VARIANTS-"ring:$rules 4;recursive-doubling:$rules 3;reduce+bcast:$rules 2;4-tcp-links:--mca btl_tcp_links 4;ring+4-tcp-links:$rules 4 --mca btl_tcp_links 4"}
VARIANT_MIB=${VARIANT_MIB:-107}
TRAIN_VARIANT=${TRAIN_VARIANT-"4-tcp-links:--mca btl_tcp_links 4"}
LATENCY=${LATENCY:-none}
export DELAY_CHRT=${DELAY_CHRT-1}
# With delays, the ranks wait in the kernel, not spinning: 2 spinning ranks and the delay line on
# this machine's 2 cores delayed each other by milliseconds (real hosts have their own cores).
[ "$LATENCY" = none ] || HMPI_OPTS="${HMPI_OPTS:---mca mpi_yield_when_idle 1}"
TRAIN_BUCKETS=${TRAIN_BUCKETS:-}
SMALL_ITERATIONS=${SMALL_ITERATIONS:-20}
ALLREDUCE=${ALLREDUCE:-1}
[ "$LATENCY" != none ] || ALLREDUCE=1
if [ "$ALLREDUCE" = 0 ] && [ "$TRAIN" != 1 ]; then
    V=""
elif [ -n "${VGG:-}" ]; then
    V=$(realpath "$VGG")
else
    swift build -c release --product vgg >/dev/null
    V="$PWD/.build/release/vgg"
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export VGG_CONV_ALGORITHM=${VGG_CONV_ALGORITHM:-automatic}
out=${1:-$(mktemp)}
: >"$out"
max=2
for n in $HOSTS_N; do [ "$n" -gt "$max" ] && max=$n; done
trap hosts_down EXIT
trap 'exit 130' INT TERM
hosts_up "$max"
T=$HOSTS_DIR
for n in $HOSTS_N; do hostfile "$T/hosts$n" 1 "${HOSTS[@]:1:$n}"; done
if [ "$LATENCY" != none ]; then
    mpicc -O2 -o "$T/allreduce_loop" bench/allreduce_loop.c || { echo "bench/hosts.sh: bench/allreduce_loop.c did not compile (mpicc)" >&2; exit 1; }
fi
hostfile "$T/hosts2" 1 "${HOSTS[1]}" "${HOSTS[2]}"

record() {
    # record TAG… -- COMMAND…: runs it, appends its last JSON line to $out prefixed with the tags.
    local tags=()
    while [ "$1" != -- ]; do tags+=("$1"); shift; done; shift
    local log="$T/run.log" line
    if ! "$@" >"$log" 2>&1; then echo "bench/hosts.sh: failed (${tags[*]}): $(tail -5 "$log")" >&2; exit 1; fi
    line=$(grep '^{' "$log" | tail -1)
    echo "${tags[*]} $line" >>"$out"
    echo "  ${tags[*]}: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d.get("record", d); print(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items() if k.endswith(("_ms", "img_s", "MBps", "_median"))))' "$line")"
}

tcp() {
    # tcp MB: one TCP stream host 1 -> host 2 of MB megabytes, alone (the link's goodput, what
    # the all-reduces can reach), then one each way at once (whether both directions run at the rate).
    local mb=$1 port=$((5300 + RANDOM % 500))
    on "${HOSTS[2]}" python3 bench/tcp_stream.py receive "${ADDRESS[2]}" "$port" & local r=$!
    on "${HOSTS[1]}" python3 bench/tcp_stream.py send "${ADDRESS[2]}" "$port" "$mb" >"$T/tcp1"; wait $r
    on "${HOSTS[2]}" python3 bench/tcp_stream.py receive "${ADDRESS[2]}" "$port" & local r2=$!
    on "${HOSTS[1]}" python3 bench/tcp_stream.py receive "${ADDRESS[1]}" "$((port + 1))" & local r1=$!
    on "${HOSTS[1]}" python3 bench/tcp_stream.py send "${ADDRESS[2]}" "$port" "$mb" >"$T/tcp2" & local s1=$!
    on "${HOSTS[2]}" python3 bench/tcp_stream.py send "${ADDRESS[1]}" "$((port + 1))" "$mb" >"$T/tcp3"; wait $s1 $r1 $r2
    python3 - "$T/tcp1" "$T/tcp2" "$T/tcp3" <<'PYEOF'
import json, sys
one, a, b = (json.load(open(f)) for f in sys.argv[1:])
print(json.dumps({"mode": "tcp", "one_way_MBps": one["tcp_MBps"], "both_ways_MBps": min(a["tcp_MBps"], b["tcp_MBps"])}))
PYEOF
}

net=(--arch A --input 3x32x32 --classes 10 --skip-inference --no-layers --iterations 3 --warmup 1 --json --threads 1 --batch-size 64)
start=$(date +%s)
if [ "$TRAIN" = 1 ]; then
    echo "1 process, the training step alone"
    record train 1 none overlap -- "$V" bench "${net[@]}"
fi
rtt() {
    # rtt: the round trip host 1 -> host 2 -> host 1 of a small UDP datagram (median of 30).
    local port=$((6300 + RANDOM % 500))
    on "${HOSTS[2]}" python3 bench/udp_rtt.py echo "${ADDRESS[2]}" "$port" & local e=$!
    sleep 0.3
    on "${HOSTS[1]}" python3 bench/udp_rtt.py ping "${ADDRESS[2]}" "$port" 30; wait $e
}

for link in $LINKS; do
    shape "$link"
    for lat in $LATENCY; do
        tag=$link
        if [ "$lat" != none ]; then
            delay "$lat"
            tag="$link@${lat}us"
            record rtt 2 "$tag" -- rtt
        fi
        echo "link $tag"
        record tcp 2 "$tag" 100 -- tcp 100
        for n in $HOSTS_N; do
            for s in $SIZES; do
                it=3; python3 -c "import sys; sys.exit(float(sys.argv[1]) > 1)" "$s" && it=$SMALL_ITERATIONS
                [ "$ALLREDUCE" = 0 ] || record allreduce "$n" "$tag" "$s" -- hmpirun --hostfile "$T/hosts$n" -np "$n" "$V" bench --allreduce "$s" --threads 1 --iterations "$it" --warmup 1 --json
                if [ "$lat" != none ]; then
                    count=$(python3 -c "import sys; print(max(3, min(200, int(20 / float(sys.argv[1])))))" "$s")
                    record loop "$n" "$tag" "$s" -- hmpirun --hostfile "$T/hosts$n" -np "$n" "$T/allreduce_loop" "$s" "$count"
                fi
            done
        done
        if [ -n "$BIG" ] && [ "$link" != unshaped ]; then
            record allreduce 2 "$tag" "$BIG" -- hmpirun --hostfile "$T/hosts2" -np 2 "$V" bench --allreduce "$BIG" --threads 1 --iterations 2 --warmup 1 --json
        fi
        if [ "$TRAIN" = 1 ]; then
            record train 2 "$tag" overlap -- hmpirun --hostfile "$T/hosts2" -np 2 "$V" bench "${net[@]}" --allreduce-dtype float32
            for m in $TRAIN_BUCKETS; do
                record train 2 "$tag" "bucket-${m}MiB" -- hmpirun --hostfile "$T/hosts2" -np 2 "$V" bench "${net[@]}" --bucket-mb "$m" --allreduce-dtype float32
            done
            if [ "$link" = "${LINKS##* }" ] && [ "$lat" = none ]; then
                record train 2 "$link" no-overlap -- hmpirun --hostfile "$T/hosts2" -np 2 "$V" bench "${net[@]}" --no-overlap --allreduce-dtype float32
                record train 2 "$link" bf16 -- hmpirun --hostfile "$T/hosts2" -np 2 "$V" bench "${net[@]}" --allreduce-dtype bf16
            fi
        fi
    done
    [ "$LATENCY" = none ] || delay off
done
# Open MPI's own choices against forced ones on the slowest link, VARIANT_MIB MiB: the all-reduce
# algorithm (tuned's fixed decision rules by default) and the TCP connections per pair of
# processes (btl_tcp_links, 1 by default); the training step with the best of them.
if [ -n "$VARIANTS" ] && [ "$LATENCY" = none ]; then
    slow=${LINKS##* }
    shape "$slow"
    echo "variants on $slow"
    IFS=';' read -ra variants <<<"$VARIANTS"
    for n in $HOSTS_N; do
        for v in "${variants[@]}"; do
            read -ra opts <<<"${v#*:}"
            record variant "$n" "$slow" "$VARIANT_MIB" "${v%%:*}" -- hmpirun --hostfile "$T/hosts$n" -np "$n" "${opts[@]}" \
                "$V" bench --allreduce "$VARIANT_MIB" --threads 1 --iterations 3 --warmup 1 --json
        done
    done
    if [ "$TRAIN" = 1 ] && [ -n "$TRAIN_VARIANT" ]; then
        read -ra opts <<<"${TRAIN_VARIANT#*:}"
        record train 2 "$slow" "${TRAIN_VARIANT%%:*}" -- hmpirun --hostfile "$T/hosts2" -np 2 "${opts[@]}" "$V" bench "${net[@]}" --allreduce-dtype float32
        record train 2 "$slow" "${TRAIN_VARIANT%%:*}+bf16" -- hmpirun --hostfile "$T/hosts2" -np 2 "${opts[@]}" "$V" bench "${net[@]}" --allreduce-dtype bf16
    fi
fi
echo "measured in $(( $(date +%s) - start )) s; raw lines in $out"
if [ "$LATENCY" = none ]; then
    python3 bench/hosts_tables.py "$out" --fit-json "$out.fit.json"
else
    python3 bench/latency_tables.py "$out"
fi
