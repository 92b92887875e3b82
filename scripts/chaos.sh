#!/usr/bin/env bash
# Chaos soak: a reduced main job (VGG-A-BN with every width divided by 8, 2,048 Fashion-MNIST
# images, 3 epochs, a checkpoint every 4 batches) is killed again and again at moments drawn
# from the seed and resumed each time until it finishes; then it starts afresh, until the
# number of kills asked for is reached. Every finished job must equal an uninterrupted run
# bit for bit: last.ckpt and best.ckpt (every tensor, compare_checkpoints.py --identical),
# metrics.csv (byte for byte, less the throughput and wall-time columns) and the TensorBoard scalars (every tag and step; a step logged
# twice, before a kill and again after the resume, counts with its last value, as TensorBoard
# shows it; the throughput, train/images_per_second, left out).
#
#     scripts/chaos.sh [--cycles N] [--seed S] [--mpi]     (default: 15 kills, seed 1)
#
# With --mpi every run is `mpirun -np 2` (the uninterrupted one too), and each kill picks its
# target as well: mpirun itself, rank 0 or rank 1. After a kill the whole job, mpirun and both
# ranks, must be gone within 30 s; any exit status is accepted then (a lost rank ends the job with
# ours or Open MPI's), and what matters is what the resume makes of the files left behind.
#
# Each kill draws a signal (SIGKILL, SIGTERM, or SIGINT twice, 50 ms apart) and a moment:
#  - "time": after a delay uniform over an uninterrupted run's duration (start-up, a step,
#    a validation or a save, wherever it falls);
#  - "save": the moment the checkpoint's temporary file (.last.ckpt.tmp-PID) appears, i.e.
#    during the write.
# The table at the end counts the kills by signal and moment, how many found the write under
# way, and the exit statuses seen. Deterministic given the seed (bash's RANDOM), except for
# where in the run a timed kill lands.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=15 seed=1 mpi=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --mpi) mpi=1; shift ;;
        *) echo "usage: scripts/chaos.sh [--cycles N] [--seed S] [--mpi]" >&2; exit 2 ;;
    esac
done
swift build --product vgg >/dev/null
V="$PWD/.build/debug/vgg"
DATA=/usr/share/datasets/fashion-mnist
T=$(mktemp -d)
pid=""
cleanup() { [ "$BASHPID" = "$$" ] || return 0; [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; pkill -KILL -f "$T/" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"; }
# The guard: a signal sent to a job just after bash forked it, before it execs, runs this EXIT
# trap in that child, which would empty $T under the soak (seen in CI: a kill at 0 ms). Only the
# script's own shell cleans up; the same guard is in every script that signals its children.
trap cleanup EXIT
fail() { echo "chaos: FAILED: $*" >&2; [ -f "$T/kills.log" ] && tail -5 "$T/kills.log" >&2; [ -n "${KEEP:-}" ] && cp -r "$T" "$KEEP"; exit 1; }
args=(--data "$DATA" --arch A --batch-norm --width 8 --classifier-width 64 --limit-train 2048 --limit-test 512
      --epochs 3 --checkpoint-every 4 --batch-size 64 --threads 1 --workers 1 --seed 3)
RUN=("$V")
batches=32  # 2,048 images in batches of 64
name=chaos
if [ "$mpi" = 1 ]; then
    command -v mpirun >/dev/null || fail "mpirun not found (scripts/setup.sh installs Open MPI)"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    RUN=(mpirun --oversubscribe -np 2 "$V")
    args+=(--comm-timeout 10)
    name="chaos --mpi"
fi
# Where the run started at $T/started stands, from what it logged to TensorBoard: "start-up"
# (no step yet), "validation" (its last step ends an epoch whose validation is not logged) or "step".
where_is() {
    scalars "$1" --since "$T/started" | awk -v per="$batches" '
        $1 == "train/loss" { if ($2 + 0 > last) last = $2 + 0; any = 1 }
        $1 ~ /^validation\// { validated[$2 + 0] = 1 }
        END { if (!any) print "start-up"; else if (last % per == 0 && !(last in validated)) print "validation"; else print "step" }'
}
# rank_pid OUT R: the pid of rank R of the job writing into directory OUT.
source scripts/ranks-lib.sh
# Whether a checkpoint's temporary file is in $1 (written by rank 0 only, named after its pid).
writing() { compgen -G "$1/.last.ckpt.tmp-*" >/dev/null; }

# The TensorBoard scalars of a run directory as "tag step value-bits" lines, sorted; the last
# value of a (tag, step) wins. Standard library only: TFRecord framing, Event and Summary protos.
scalars() {
    python3 - "$@" <<'PY'
import glob, os, struct, sys
def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80: return r, i
def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i); f, t = key >> 3, key & 7
        if t == 0: v, i = varint(b, i)
        elif t == 1: v = b[i:i + 8]; i += 8
        elif t == 5: v = b[i:i + 4]; i += 4
        elif t == 2: n, i = varint(b, i); v = b[i:i + n]; i += n
        else: raise ValueError("wire type %d" % t)
        yield f, v
out = {}
paths = sorted(glob.glob(os.path.join(sys.argv[1], "events.out.tfevents.*")), key=os.path.getmtime)
if sys.argv[2:3] == ["--since"]:  # the file of the last run only, if it made one
    paths = [p for p in paths[-1:] if os.path.getmtime(p) >= os.path.getmtime(sys.argv[3])]
for path in paths:
    data = open(path, "rb").read(); i = 0
    while i + 12 <= len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8]); rec = data[i + 12:i + 12 + n]; i += 16 + n
        step = 0; summary = None
        for f, v in fields(rec):
            if f == 2: step = v
            elif f == 5: summary = v
        if summary is None: continue
        for f, v in fields(summary):
            if f != 1: continue
            tag = None; val = None
            for g, w in fields(v):
                if g == 1: tag = w.decode()
                elif g == 2: val = w.hex()
            if tag is not None and val is not None: out[(tag, step)] = val
for (tag, step), val in sorted(out.items()):
    if not tag.endswith("images_per_second"): print(tag, step, val)  # throughput: not reproducible
PY
}
same_as_reference() {
    local d=$1
    python3 scripts/compare_checkpoints.py "$T/ref/last.ckpt" "$d/last.ckpt" --identical >/dev/null || fail "$d/last.ckpt differs from the uninterrupted run's"
    python3 scripts/compare_checkpoints.py "$T/ref/best.ckpt" "$d/best.ckpt" --identical >/dev/null || fail "$d/best.ckpt differs from the uninterrupted run's"
    cut -d, -f1-7 "$d/metrics.csv" >"$T/metrics"
    cmp -s "$T/ref.metrics" "$T/metrics" || fail "$d/metrics.csv differs: $(diff "$T/ref.metrics" "$T/metrics" | head -5)"
    scalars "$d" >"$T/scalars"
    cmp -s "$T/ref.scalars" "$T/scalars" || fail "$d: TensorBoard scalars differ: $(diff "$T/ref.scalars" "$T/scalars" | head -5)"
}

start=$(date +%s%N)
"${RUN[@]}" train "${args[@]}" --out "$T/ref" >"$T/ref.log" 2>&1 || fail "the uninterrupted run: $(tail -3 "$T/ref.log")"
duration_ms=$((($(date +%s%N) - start) / 1000000))
scalars "$T/ref" >"$T/ref.scalars"
cut -d, -f1-7 "$T/ref/metrics.csv" >"$T/ref.metrics"
[ -s "$T/ref.scalars" ] || fail "no TensorBoard scalars in the uninterrupted run"
echo "$name: uninterrupted run: ${duration_ms} ms, $(wc -l <"$T/ref.scalars") scalars; $cycles kills, seed $seed"

RANDOM=$seed
declare -A count=() hits=()
kills=0 jobs=0 runs=0 writes_hit=0 leftovers=0
job=""
while [ "$kills" -lt "$cycles" ] || [ -n "$job" ]; do
    if [ -z "$job" ]; then jobs=$((jobs + 1)); job="$T/job$jobs"; fi
    resume=(); [ -e "$job/last.ckpt" ] && resume=(--resume)
    log="$T/run.log"
    runs=$((runs + 1))
    if [ "$kills" -ge "$cycles" ]; then  # the kills are spent: let this job finish
        timeout 300 "${RUN[@]}" train "${args[@]}" --out "$job" "${resume[@]}" >"$log" 2>&1 || fail "the last resume of $job: $(tail -3 "$log")"
        grep -q "^removed .*tmp-[0-9]*, left by a process stopped while writing$" "$log" && leftovers=$((leftovers + 1))
        same_as_reference "$job"; rm -rf "$job"; job=""; continue
    fi
    signal=$(( RANDOM % 3 )); moment=$(( RANDOM % 3 )); delay=$(( RANDOM * 32768 + RANDOM ))
    delay=$(( delay % (duration_ms + 1) ))
    target=$(( mpi == 1 ? RANDOM % 3 : 0 ))  # with --mpi: 0 mpirun, 1 rank 0, 2 rank 1
    touch "$T/started"; aimed=""
    "${RUN[@]}" train "${args[@]}" --out "$job" "${resume[@]}" >"$log" 2>&1 & pid=$!
    if [ "$moment" = 0 ]; then
        what=time
        sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    elif [ "$moment" = 2 ]; then
        what=validation
        # Polls what the run has logged until a validation is under way (it lasts a few hundred
        # ms here; the poll takes tens), for at most 5 minutes.
        until=$((SECONDS + 300))
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$until" ]; do
            [ "$(where_is "$job")" = validation ] && { aimed=validation; break; }
            sleep 0.02
        done
    else
        what=save
        # Spins (the write lasts milliseconds; a sleep would miss it), for at most 5 minutes.
        until=$((SECONDS + 300)) n=0
        while ! writing "$job" && [ "$SECONDS" -lt "$until" ]; do
            n=$((n + 1)); [ $((n % 1000)) = 0 ] && ! kill -0 "$pid" 2>/dev/null && break
        done
    fi
    in_write=0; writing "$job" && in_write=1
    victim=$pid who=""
    if [ "$mpi" = 1 ]; then
        case $target in
            0) who=mpirun ;;
            *) who="rank$((target - 1))"; v=$(rank_pid "$job" $((target - 1))); [ -n "$v" ] && victim=$v || who="mpirun(no-rank)" ;;
        esac
    fi
    case $signal in
        0) sig=KILL; kill -KILL "$victim" 2>/dev/null || true ;;
        1) sig=TERM; kill -TERM "$victim" 2>/dev/null || true ;;
        2) sig=INTx2; kill -INT "$victim" 2>/dev/null || true; sleep 0.05; kill -INT "$victim" 2>/dev/null || true ;;
    esac
    if [ "$mpi" = 1 ]; then limit=300; else limit=3000; fi  # 30 s for a whole mpirun job, else 5 minutes
    for _ in $(seq $limit); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "run $runs ($sig to ${who:-vgg} at $what) did not stop within $((limit / 10)) s: $(tail -3 "$log")"
    rc=0; wait "$pid" 2>/dev/null || rc=$?; pid=""
    if [ "$mpi" = 1 ]; then
        for _ in $(seq 50); do pgrep -f "vgg train .*--out $job( |$)" >/dev/null || break; sleep 0.1; done
        pgrep -f "vgg train .*--out $job( |$)" >/dev/null && fail "run $runs ($sig to $who at $what): a rank outlived mpirun by 5 s"
    fi
    grep -q "^removed .*tmp-[0-9]*, left by a process stopped while writing$" "$log" && leftovers=$((leftovers + 1))
    case "$mpi:$sig:$rc" in
        *:0) ;;  # finished before the signal landed
        0:KILL:137|0:TERM:143|0:INTx2:130|0:INTx2:143) ;;
        1:*) ;;  # a lost rank or mpirun: any status, the job ended (checked above)
        *) fail "run $runs ($sig at $what): exit status $rc: $(tail -3 "$log")" ;;
    esac
    # What the kill hit: "save" when the checkpoint's temporary file was there, "validation" when
    # one was seen under way just before the signal, else where the killed run's own TensorBoard
    # file says it was (for SIGTERM and SIGINT: where it stopped).
    if [ "$rc" = 0 ]; then hit=after-the-end
    elif [ -n "$aimed" ]; then hit=$aimed  # seen under way just before the signal
    elif [ "$in_write" = 1 ]; then hit=save
    else
        hit=$(where_is "$job")
    fi
    hits[$hit]=$(( ${hits[$hit]:-0} + 1 ))
    kills=$((kills + 1)); writes_hit=$((writes_hit + in_write))
    echo "$name: run $runs (job $jobs): $sig to ${who:-vgg} at $what, hit $hit -> status $rc" >>"$T/kills.log"
    cp "$log" "$job/run$runs.log" 2>/dev/null || true
    key="$sig${who:+>$who} $what rc=$rc"; count[$key]=$(( ${count[$key]:-0} + 1 ))
    if [ "$rc" = 0 ]; then same_as_reference "$job"; rm -rf "$job"; job=""; fi
done
echo "$name: $kills kills over $runs runs of $jobs jobs, each job bit-identical to the uninterrupted run"
echo "$name: $writes_hit kills found the checkpoint's temporary file in place (during the write); $leftovers leftovers removed by the next run"
echo "$name: what the kills hit: $(for h in "${!hits[@]}"; do echo "$h ${hits[$h]}"; done | sort | paste -sd, | sed 's/,/, /g')"
printf '%s: %-16s %-5s %-7s %s\n' "$name" signal when status kills
for key in "${!count[@]}"; do echo "$key ${count[$key]}"; done | sort | while read -r s w r n; do
    printf '%s: %-16s %-5s %-7s %s\n' "$name" "$s" "$w" "${r#rc=}" "$n"
done
