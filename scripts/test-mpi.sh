#!/usr/bin/env bash
# Data-parallel checks under mpirun (issue 15), on real Fashion-MNIST with a reduced VGG-A:
#  - 2 ranks equal 1 process with the same global batch (weights within 1e-5 relative), with
#    synchronised BatchNorm and dropout, and without BatchNorm; two identical 2-rank runs are
#    bit-identical; the bf16 exchange stays close to float32; a sharded vgg eval equals 1 process;
#  - kill -9 of one rank mid-epoch ends the job, non-zero, naming the rank, the checkpoint
#    intact; SIGTERM to one rank stops every rank after the same batch with a checkpoint (143);
#    resuming reaches exactly the uninterrupted run's weights, and resuming with
#    another number of processes stays within 1e-5; a rank that hangs is
#    named by rank 0 after --comm-timeout;
#  - bad use: a batch that does not divide, a rank that cannot read its data, ranks with
#    other options: clear errors, no hang.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mpirun >/dev/null || { echo "test-mpi: mpirun not found (scripts/setup.sh installs Open MPI)" >&2; exit 1; }
swift build --product vgg >/dev/null
V="$PWD/.build/debug/vgg"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Direct convolutions: what is compared is the data-parallel arithmetic (the gradient sums,
# the sharded batch), not the convolution kernels. With Winograd (the automatic choice on
# AVX-512, oneDNN's jit_wino_4x3) a batch of 32 per rank and one of 64 are computed with other
# blockings, and after 4 steps at lr 0.05 the near-zero biases of plain A differ by up to
# 1.3e-3 relative (1.2e-6 with direct convolutions); the kernels themselves are checked against
# the reference backend under every algorithm by scripts/test.sh's matrix.
export VGG_CONV_ALGORITHM=direct
MPI=(mpirun --oversubscribe -np 2)
DATA=/usr/share/datasets/fashion-mnist
T=$(mktemp -d)
trap 'if [ "$BASHPID" = "$$" ]; then pkill -9 -f "$T/" 2>/dev/null || true; rm -rf "$T"; fi' EXIT  # not in a forked child (see chaos.sh)
compare() { python3 scripts/compare_checkpoints.py "$@"; }
fail() { echo "test-mpi: FAILED: $*" >&2; exit 1; }
ok() { echo "test-mpi: ok: $*"; }
small=(--arch A --width 16 --classifier-width 64 --limit-test 64 --seed 3 --threads 1 --checkpoint-every 0)

# 1. Equivalence: 4 steps of a global batch of 64.
for variant in "--batch-norm --sync-batch-norm" ""; do
    args=("${small[@]}" $variant --limit-train 256 --epochs 1 --batch-size 64 --lr 0.05)
    "$V" train "${args[@]}" --out "$T/one" >/dev/null
    "${MPI[@]}" "$V" train "${args[@]}" --out "$T/two" >/dev/null
    compare "$T/one/last.ckpt" "$T/two/last.ckpt" --weights-only --tolerance 1e-5 || fail "2 ranks differ from 1 process ($variant)"
    ok "2 ranks = 1 process within 1e-5 (${variant:-no BatchNorm}, dropout 0.5)"
    rm -rf "$T/one" "$T/two"
done
args=("${small[@]}" --batch-norm --sync-batch-norm --limit-train 256 --epochs 1 --batch-size 64)
"${MPI[@]}" "$V" train "${args[@]}" --out "$T/a" >/dev/null
"${MPI[@]}" "$V" train "${args[@]}" --allreduce-dtype bf16 --out "$T/bf16" >/dev/null
compare "$T/a/last.ckpt" "$T/bf16/last.ckpt" --weights-only --tolerance 2e-2 || fail "bf16 gradient exchange strays from float32"
ok "--allreduce-dtype bf16 stays within 2e-2 of the float32 exchange after 4 steps"
"${MPI[@]}" "$V" train "${args[@]}" --out "$T/b" >/dev/null
compare "$T/a/last.ckpt" "$T/b/last.ckpt" --identical || fail "two identical 2-rank runs differ"
ok "two identical 2-rank runs are bit-identical"

# 2. Faults: kill -9 of rank 1 once a mid-epoch checkpoint exists, then resume.
args=("${small[@]}" --batch-norm --limit-train 4096 --epochs 2 --batch-size 64 --checkpoint-every 3)
"${MPI[@]}" "$V" train "${args[@]}" --out "$T/full" >/dev/null
( set +e; "${MPI[@]}" "$V" train "${args[@]}" --out "$T/killed" >"$T/killed.log" 2>&1; echo $? >"$T/killed.rc" ) &
for _ in $(seq 600); do [ -f "$T/killed/last.ckpt" ] && break; sleep 0.05; done
source scripts/ranks-lib.sh
kill -9 $(rank_pid "$T/killed" 1) 2>/dev/null || fail "no rank 1 to kill"
for _ in $(seq 300); do [ -f "$T/killed.rc" ] && break; sleep 0.1; done
[ -f "$T/killed.rc" ] || fail "the job did not end within 30 s after kill -9 of rank 1"
[ "$(cat "$T/killed.rc")" != 0 ] || fail "the job ended with status 0 after kill -9"
grep -q "rank 1" "$T/killed.log" || fail "the killed rank is not named: $(tail -5 "$T/killed.log")"
"$V" eval --checkpoint "$T/killed/last.ckpt" --limit-test 8 >/dev/null || fail "the checkpoint left by the killed job does not load"
ok "kill -9 of rank 1: job ended (status $(cat "$T/killed.rc")), rank 1 named, checkpoint intact"
"${MPI[@]}" "$V" train "${args[@]}" --out "$T/killed" --resume >/dev/null
compare "$T/full/last.ckpt" "$T/killed/last.ckpt" --identical || fail "the resumed run differs from the uninterrupted one"
ok "the resumed 2-rank run ends bit-identical to the uninterrupted one"
# SIGTERM to one rank mid-epoch: the ranks agree (at the loss all-reduce) to stop after the same
# batch, rank 0 writes last.ckpt and says where; resuming ends bit-identical to the uninterrupted run.
( set +e; "${MPI[@]}" "$V" train "${args[@]}" --out "$T/term" >"$T/term.log" 2>&1; echo $? >"$T/term.rc" ) &
for _ in $(seq 600); do [ -f "$T/term/last.ckpt" ] && break; sleep 0.05; done
kill -TERM $(rank_pid "$T/term" 1) 2>/dev/null || fail "no rank 1 to send SIGTERM"
for _ in $(seq 300); do [ -f "$T/term.rc" ] && break; sleep 0.1; done
[ -f "$T/term.rc" ] || fail "the job did not end within 30 s after SIGTERM to rank 1"
[ "$(cat "$T/term.rc")" = 143 ] || fail "SIGTERM to rank 1: status $(cat "$T/term.rc"), not 143: $(tail -5 "$T/term.log")"
line=$(grep -a "interrupted by SIGTERM at " "$T/term.log") || fail "no message from rank 0: $(tail -5 "$T/term.log")"
"${MPI[@]}" "$V" train "${args[@]}" --out "$T/term" --resume >/dev/null
compare "$T/full/last.ckpt" "$T/term/last.ckpt" --identical || fail "the 2-rank run resumed after SIGTERM differs from the uninterrupted one"
ok "SIGTERM to rank 1 mid-epoch: status 143, '${line#vgg train: }', resumed bit-identical"

# Resuming with another number of processes: 1 epoch on 2 ranks, then the 2nd epoch in 1 process,
# equals 2 epochs on 2 ranks (same data and masks; only the summation order differs).
args=("${small[@]}" --batch-norm --sync-batch-norm --limit-train 512 --batch-size 64 --lr 0.05)
"${MPI[@]}" "$V" train "${args[@]}" --epochs 2 --out "$T/n2" >/dev/null
"${MPI[@]}" "$V" train "${args[@]}" --epochs 1 --out "$T/n21" >/dev/null
"$V" train "${args[@]}" --epochs 2 --resume --out "$T/n21" >/dev/null
compare "$T/n2/last.ckpt" "$T/n21/last.ckpt" --weights-only --tolerance 1e-5 || fail "resuming a 2-rank run in 1 process strays"
ok "a 2-rank run resumed in 1 process ends within 1e-5 of the 2-rank run"

# Sharded evaluation: 2 ranks each take half of the test set; the merged result equals 1 process's.
"$V" train "${small[@]}" --batch-norm --classifier-width 256 --lr 0.05 --limit-train 4096 --epochs 2 --batch-size 64 --out "$T/model" >/dev/null
"$V" eval --checkpoint "$T/model/last.ckpt" --limit-test 500 --batch-size 64 --json --out "$T/eval1" >/dev/null
"${MPI[@]}" "$V" eval --checkpoint "$T/model/last.ckpt" --limit-test 500 --batch-size 64 --json --out "$T/eval2" >/dev/null
python3 - "$T/eval1/eval.json" "$T/eval2/eval.json" <<'PY' || fail "2-rank evaluation differs from 1 process"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["count"] == b["count"] == 500, (a["count"], b["count"])
assert a["confusion"] == b["confusion"], "confusion matrices differ"
for k in ("top1_accuracy", "top5_accuracy", "loss"):
    assert abs(a[k] - b[k]) <= 1e-9 * max(1, abs(a[k])), (k, a[k], b[k])
print(f"top-1 {a['top1_accuracy']:.4f} on both, loss {a['loss']:.6f} / {b['loss']:.6f}")
PY
ok "vgg eval on 2 ranks = 1 process (500 images, same confusion matrix, top-1, top-5, loss)"

# A rank that stops answering mid-training ends the job after --comm-timeout. Rank 0 names it
# when it stopped outside a collective; stopped inside one, every rank says so (no MPI channel
# is left to name it then).
( set +e; "${MPI[@]}" "$V" train "${args[@]}" --epochs 20 --comm-timeout 4 --out "$T/hang" >"$T/hang.log" 2>&1; echo $? >"$T/hang.rc" ) &
for _ in $(seq 600); do [ -f "$T/hang/last.ckpt" ] && break; sleep 0.05; done
kill -STOP $(rank_pid "$T/hang" 1) 2>/dev/null || fail "no rank 1 to stop"
for _ in $(seq 300); do [ -f "$T/hang.rc" ] && break; sleep 0.1; done
pkill -9 -f "$T/hang" 2>/dev/null || true
[ -f "$T/hang.rc" ] && [ "$(cat "$T/hang.rc")" != 0 ] || fail "a hanging rank did not end the job within the timeout"
grep -qE "rank 1( \(host [^)]*\))? never reached it|every rank started it, so one stopped inside it" "$T/hang.log" || fail "no clear message for the hanging rank: $(grep -a 'rank' "$T/hang.log" | tail -3)"
ok "a rank stopped mid-training ends the job after --comm-timeout: $(grep -aoE 'rank 0( \(host [^)]*\))?: .*(never reached it|inside it)' "$T/hang.log" | head -1)"
# A rank that hangs reading its data (a FIFO with no writer, like a stalled network file system)
# is named by rank 0.
mkdir "$T/stalled"
for f in "$DATA"/*; do ln -s "$f" "$T/stalled/"; done
rm "$T/stalled/"train-images-idx3-ubyte*; mkfifo "$T/stalled/train-images-idx3-ubyte.gz"
( set +e; timeout 60 mpirun --oversubscribe -np 1 "$V" train "${small[@]}" --limit-train 256 --epochs 1 --batch-size 64 --comm-timeout 4 --out "$T/stall" : \
    -np 1 "$V" train "${small[@]}" --limit-train 256 --epochs 1 --batch-size 64 --comm-timeout 4 --data "$T/stalled" --out "$T/stall" >"$T/stall.log" 2>&1; echo $? >"$T/stall.rc" )
[ "$(cat "$T/stall.rc")" != 0 ] && [ "$(cat "$T/stall.rc")" != 124 ] || fail "a rank stalled in its data did not end the job within the timeout"
grep -qE "rank 1( \(host [^)]*\))? never reached it" "$T/stall.log" || fail "the stalled rank is not named: $(grep -a 'rank' "$T/stall.log" | tail -3)"
ok "a rank stalled reading its data is named: $(grep -aoE 'rank 0( \(host [^)]*\))?: .*never reached it' "$T/stall.log" | head -1)"

# 3. Bad use.
args=("${small[@]}" --limit-train 256 --epochs 1)
"${MPI[@]}" "$V" train "${args[@]}" --batch-size 63 --out "$T/bad" >"$T/bad.log" 2>&1 && fail "batch 63 on 2 ranks accepted"
grep -q "must divide among the 2 processes" "$T/bad.log" || fail "no clear error for batch 63: $(cat "$T/bad.log" | head -3)"
ok "a batch that does not divide: $(grep -m1 'rank' "$T/bad.log")"
timeout 60 mpirun --oversubscribe -np 1 "$V" train "${args[@]}" --batch-size 64 --out "$T/bad" : \
    -np 1 "$V" train "${args[@]}" --batch-size 64 --data "$T/missing" --out "$T/bad" >"$T/bad.log" 2>&1 && fail "missing data on rank 1 accepted"
grep -qE "rank 1 \(host [^)]*\): .*missing" "$T/bad.log" || fail "no clear error for rank 1's missing data: $(grep rank "$T/bad.log" | head -3)"
ok "a rank that cannot read its data: $(grep -m1 'rank 1' "$T/bad.log")"
timeout 60 mpirun --oversubscribe -np 1 "$V" train "${args[@]}" --batch-size 64 --out "$T/bad" : \
    -np 1 "$V" train "${args[@]}" --batch-size 64 --lr 0.02 --out "$T/bad" >"$T/bad.log" 2>&1 && fail "ranks with other options accepted"
grep -q "differs from rank 0" "$T/bad.log" || fail "no clear error for mismatched options: $(grep rank "$T/bad.log" | head -3)"
ok "ranks with other options: $(grep -m1 'differs' "$T/bad.log")"
echo "test-mpi: all data-parallel checks passed"
