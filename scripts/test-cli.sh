#!/usr/bin/env bash
# Command-line checks of what must not lose work, on real Fashion-MNIST with a reduced VGG-A:
#  - SIGINT mid-epoch: the batch finishes, last.ckpt is written at it, exit status 130, a message
#    with the position and the command to resume; resuming ends bit-identical to an
#    uninterrupted run. SIGTERM likewise, with 143;
#  - a second signal while the checkpoint is being written exits at once (143), leaving the
#    previous last.ckpt whole (its temporary file is removed by the next run);
#  - a loss or weights that become NaN: exit 1, the step and the layer named, last.ckpt kept;
#  - unusable --out, missing --data, vgg eval on data of another shape: clear errors, nothing trained;
#  - `vgg --version`, and scripts/install.sh --prefix (with --binary: the release build is not timed here);
#  - `vgg eval --plot-format svg` writes well-formed SVG whose text is text;
#  - `vgg features` needs --split, and `vgg linear-probe` warns when test rows repeat training rows.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product vgg >/dev/null
V="$PWD/.build/debug/vgg"
DATA=/usr/share/datasets/fashion-mnist
T=$(mktemp -d)
trap '[ "$BASHPID" = "$$" ] && rm -rf "$T"' EXIT  # not in a forked child (see chaos.sh)

compare() { python3 scripts/compare_checkpoints.py "$@"; }
fail() { echo "test-cli: FAILED: $*" >&2; exit 1; }
ok() { echo "test-cli: ok: $*"; }
small=(--arch A --width 16 --classifier-width 64 --limit-test 64 --seed 3 --threads 1 --batch-size 64)
# Waits (up to 60 s) for a file to exist.
await() { for _ in $(seq 6000); do [ -e "$1" ] && return 0; sleep 0.01; done; fail "$1 never appeared"; }
# Waits (up to 60 s) for a line matching $2 in the file $1.
await_line() { for _ in $(seq 6000); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.01; done; fail "no '$2' in $1: $(tail -3 "$1")"; }
# The training state stored in a checkpoint's header, as "epoch batch steps".
position() {
    python3 - "$1" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
s = json.loads(json.loads(data[8:8 + n])["__metadata__"]["vgg-swift.checkpoint"])["state"]
print(s["epoch"], s["batchInEpoch"], s["optimizerSteps"])
PY
}

# 0. `vgg --version` names the version (one place: Sources/CLI/VGGVersion.swift) and the build;
# scripts/install.sh puts a binary at PREFIX/bin/vgg that runs from there.
version=$(sed -n 's/.*static let number = "\(.*\)".*/\1/p' Sources/CLI/VGGVersion.swift)
"$V" --version | grep -q "^vgg $version (commit .*, debug build)$" || fail "vgg --version: '$("$V" --version)'"
scripts/install.sh --prefix "$T/prefix" --binary "$V" >"$T/install.log" || fail "install.sh: $(tail -3 "$T/install.log")"
[ "$("$T/prefix/bin/vgg" --version)" = "$("$V" --version)" ] || fail "the installed vgg is not the one built"
ok "vgg --version: $("$V" --version); install.sh --prefix installs PREFIX/bin/vgg"

# 1. A signal mid-epoch, then --resume: the same weights as without the signal.
args=("${small[@]}" --limit-train 4096 --epochs 2 --checkpoint-every 4)
"$V" train "${args[@]}" --out "$T/full" >/dev/null
# The plots as SVG: well-formed XML whose text is text (the counts of the confusion matrix).
"$V" eval --checkpoint "$T/full/last.ckpt" --limit-test 64 --threads 1 --plot-format svg --out "$T/svg" >/dev/null
python3 - "$T/svg" <<'PY' || fail "vgg eval --plot-format svg"
import sys, xml.etree.ElementTree as E
texts = lambda f: [t.text for t in E.parse(f"{sys.argv[1]}/{f}.svg").getroot().iter("{http://www.w3.org/2000/svg}text")]
c = texts("confusion")
assert c[0].startswith("Confusion matrix, top-1") and sum(int(t) for t in c if t.isdigit() and len(t) > 0) >= 64, c
assert any(t.startswith("true: ") for t in texts("predictions"))
PY
ok "vgg eval --plot-format svg: confusion.svg and predictions.svg, text as text"
for sig in INT TERM; do
    out="$T/$sig"
    "$V" train "${args[@]}" --out "$out" >"$T/$sig.log" 2>&1 & pid=$!
    await "$out/last.ckpt"  # past batch 4 of 64
    kill -"$sig" "$pid"
    rc=0; wait "$pid" || rc=$?
    want=$([ "$sig" = INT ] && echo 130 || echo 143)
    [ "$rc" = "$want" ] || fail "SIG$sig: exit status $rc, not $want: $(tail -3 "$T/$sig.log")"
    line=$(grep "interrupted by SIG$sig at " "$T/$sig.log") || fail "SIG$sig: no message: $(tail -3 "$T/$sig.log")"
    grep -q "^to continue from there: .*vgg train .*--out $out --resume$" "$T/$sig.log" || fail "SIG$sig: no resume command: $(tail -3 "$T/$sig.log")"
    read -r e b s <<<"$(position "$out/last.ckpt")"
    at=$([ "$b" = 0 ] && echo "the end of epoch $e" || echo "epoch $((e + 1)), batch $b")
    [[ "$line" == *"at $at: saved $out/last.ckpt" ]] || fail "SIG$sig: '$line' is not where last.ckpt stands ($e $b $s)"
    "$V" train "${args[@]}" --out "$out" --resume >"$T/$sig.resume.log"
    grep -q "resuming from $out/last.ckpt: epoch $((e + 1)), batch $b" "$T/$sig.resume.log" || fail "SIG$sig: not resumed from the checkpoint"
    compare "$T/full/last.ckpt" "$out/last.ckpt" --identical >/dev/null || fail "SIG$sig: the resumed run differs from the uninterrupted one"
    ok "SIG$sig mid-epoch: status $rc, '$line', resumed bit-identical"
done

# 2. A second signal while the checkpoint is written (a larger classifier: a slower write):
# out at once, the previous last.ckpt whole, the temporary file left and removed by the next run.
args=("${small[@]}" --classifier-width 2048 --limit-train 2048 --epochs 1 --checkpoint-every 8)
out="$T/twice"
"$V" train "${args[@]}" --out "$out" >"$T/twice.log" 2>&1 & pid=$!
await "$out/last.ckpt"  # the checkpoint of batch 8
kill -TERM "$pid"
await_line "$T/twice.log" "^saving .* before stopping"
await "$out/.last.ckpt.tmp-$pid"
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" = 143 ] || fail "second SIGTERM: exit status $rc, not 143"
! grep -q "interrupted by" "$T/twice.log" || fail "the second SIGTERM did not stop the process at once"
[ -e "$out/.last.ckpt.tmp-$pid" ] || fail "the write was not under way: no temporary file"
[ "$(position "$out/last.ckpt")" = "0 8 8" ] || fail "last.ckpt is not the checkpoint of batch 8: $(position "$out/last.ckpt")"
"$V" eval --checkpoint "$out/last.ckpt" --limit-test 8 --out "$T/twice-eval" >/dev/null || fail "last.ckpt is not whole after the second signal"
"$V" train "${args[@]}" --out "$out" --resume >"$T/twice.resume.log" 2>&1 || fail "resuming after the second signal: $(tail -3 "$T/twice.resume.log")"
grep -q "^removed $out/.last.ckpt.tmp-$pid, left by a process stopped while writing$" "$T/twice.resume.log" || fail "the leftover was not reported"
[ ! -e "$out/.last.ckpt.tmp-$pid" ] || fail "the next run left the temporary file in place"
ok "second SIGTERM during the checkpoint's write: status 143 at once, last.ckpt still batch 8's and whole; the next run removed the temporary file"

# 3. Divergence: the step and the first layer named, the checkpoint before it kept.
for bn in "" --batch-norm; do
    out="$T/nan$bn"
    rc=0; "$V" train "${small[@]}" $bn --limit-train 512 --lr 1e6 --checkpoint-every 1 --out "$out" >"$T/nan.log" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "divergence: exit status $rc, not 1"
    msg=$(grep "training diverged at" "$T/nan.log") || fail "divergence: no message: $(tail -3 "$T/nan.log")"
    [[ "$msg" =~ at\ epoch\ 1,\ batch\ ([0-9]+)\ \(step\ ([0-9]+)\):\ .*(features|classifier)\.[0-9]+ ]] || fail "divergence: no step or layer in '$msg'"
    step=${BASH_REMATCH[2]}
    [ "$(position "$out/last.ckpt")" = "0 $((step - 1)) $((step - 1))" ] || fail "divergence: last.ckpt is not the one of step $((step - 1))"
    [[ "$msg" == *"$out/last.ckpt (epoch 1, batch $((step - 1))) is kept, nothing later was saved"* ]] || fail "divergence: '$msg'"
    ok "divergence${bn:+ ($bn)}: status 1, ${msg#*: }"
done

# 4. Unusable --out, missing --data: an error before anything is prepared.
args=("${small[@]}" --limit-train 512)
echo notes >"$T/file"
for bad in "$T/file/run" "$T/file"; do
    rc=0; "$V" train "${args[@]}" --out "$bad" >"$T/bad.log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "--out $bad accepted"
    grep -qE "^Error: output directory $bad (cannot be created: $T/file is a file, not a directory|exists and is not a directory)$" "$T/bad.log" \
        || fail "no clear error for --out $bad: $(cat "$T/bad.log")"
    ! grep -q "training-set statistics" "$T/bad.log" || fail "--out $bad: the data was read first"
    ok "--out $bad: $(cat "$T/bad.log")"
done
[ "$(cat "$T/file")" = notes ] || fail "the file given as --out was changed"
# A read-only directory (permissions bind users other than root: as root, run as nobody).
mkdir "$T/locked" && chmod 555 "$T/locked" && chmod 711 "$T"
as=(); [ "$(id -u)" = 0 ] && as=(runuser -u nobody --)
if [ "$(id -u)" != 0 ] || { command -v runuser >/dev/null && runuser -u nobody -- "$V" --help >/dev/null 2>&1; }; then
    for bad in "$T/locked" "$T/locked/run"; do
        rc=0; "${as[@]}" "$V" train "${args[@]}" --out "$bad" >"$T/bad.log" 2>&1 || rc=$?
        [ "$rc" != 0 ] && grep -qE "^Error: output directory $bad (is not writable|cannot be created: mkdir $bad:) \(?Permission denied\)?$" "$T/bad.log" \
            || fail "no clear error for the read-only --out $bad: $(cat "$T/bad.log")"
        ok "--out $bad (read-only${as:+, as nobody}): $(cat "$T/bad.log")"
    done
else
    echo "test-cli: skipped: read-only --out (running as root, and no other user can run $V)"
fi
rc=0; "$V" train "${args[@]}" --data "$T/missing" --out "$T/run" >"$T/bad.log" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "^Error: $T/missing: data directory does not exist$" "$T/bad.log" || fail "no clear error for a missing --data: $(cat "$T/bad.log")"
ok "--data $T/missing: $(cat "$T/bad.log")"

# 5. vgg eval of a colour model (CIFAR-10 binary files, written here) on gray Fashion-MNIST.
mkdir -p "$T/cifar/cifar-10-batches-bin"
python3 - "$T/cifar/cifar-10-batches-bin" <<'PY'
import os, random, sys
random.seed(1)
for name in ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]:
    with open(os.path.join(sys.argv[1], name + ".bin"), "wb") as f:
        for i in range(64):
            f.write(bytes([i % 10]) + bytes(random.randrange(256) for _ in range(3072)))
PY
"$V" train "${small[@]}" --data "$T/cifar" --out "$T/colour" >/dev/null
rc=0; "$V" eval --checkpoint "$T/colour/last.ckpt" --data "$DATA" --limit-test 64 >"$T/bad.log" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "^Error: $DATA: its images are 1×28×28 .* but the model takes 3×32×32 (3 channels)" "$T/bad.log" \
    || fail "no clear error for gray data given a colour model: $(cat "$T/bad.log")"
ok "vgg eval on data of another shape: $(cat "$T/bad.log")"

# 6. vgg features needs --split (it took the test split silently); vgg linear-probe warns when
# the test rows are training rows (one split extracted twice), and only then.
ck="$T/colour/last.ckpt"
rc=0; "$V" features --checkpoint "$ck" --limit 16 --out "$T/f.safetensors" >"$T/f.log" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "Missing expected argument '--split <split>'" "$T/f.log" && [ ! -e "$T/f.safetensors" ] \
    || fail "vgg features without --split: $(cat "$T/f.log")"
for s in train test; do "$V" features --checkpoint "$ck" --split $s --limit 16 --threads 1 --out "$T/f-$s.safetensors" >/dev/null; done
"$V" features --checkpoint "$ck" --split test --limit 16 --threads 1 --out "$T/f-again.safetensors" >/dev/null
"$V" linear-probe --train "$T/f-train.safetensors" --test "$T/f-test.safetensors" --out "$T/probe" >"$T/p.log" 2>&1
! grep -q "warning" "$T/p.log" || fail "vgg linear-probe warned on distinct splits: $(grep warning "$T/p.log")"
"$V" linear-probe --train "$T/f-test.safetensors" --test "$T/f-again.safetensors" --out "$T/probe" >"$T/p.log" 2>"$T/p.err"
warning="warning: 16 of 16 test rows repeat a training row (same label and features), so the test score is not held out"
grep -q "^vgg linear-probe: $warning" "$T/p.err" && grep -q "^$warning" "$T/p.log" \
    || fail "vgg linear-probe on one split twice: no warning: $(cat "$T/p.err")"
ok "vgg features without --split: $(head -1 "$T/f.log"); linear-probe on one split twice: $(cat "$T/p.err")"
echo "test-cli: all command-line checks passed"
