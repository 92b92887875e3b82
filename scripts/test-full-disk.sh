#!/usr/bin/env bash
# A really full disk: size-limited tmpfs mounts (root only; skipped with the reason otherwise).
#  1. Room for one and a half checkpoints: the second save of last.ckpt fails with "not saved
#     (No space left on device); the previous file is unchanged", no temporary file is left,
#     the kept last.ckpt loads, and --resume from a copy elsewhere ends bit-identical to an
#     uninterrupted run.
#  2. A finished run, its disk then filled to the last byte, continued for one more epoch:
#     it fails naming the problem; every file it had written (checkpoints, metrics.csv, the
#     PNGs) is byte for byte as before, the event files it had written are unchanged, nothing
#     half-written sits under a final name; with the space back, --resume finishes and equals
#     an uninterrupted 4-epoch run (weights, metrics.csv, TensorBoard scalars).
#  3. `vgg features` and `vgg export` (safetensors, ONNX) onto a full disk over an existing
#     output: a clear error, the previous file unchanged, no temporary file left.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product vgg >/dev/null
V="$PWD/.build/debug/vgg"
DATA=/usr/share/datasets/fashion-mnist
T=$(mktemp -d)
mounted=()
cleanup() {
    [ "$BASHPID" = "$$" ] || return 0  # not in a forked child (see chaos.sh)
    local m
    for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "test-full-disk: FAILED: $*" >&2; exit 1; }
ok() { echo "test-full-disk: ok: $*"; }
# Mounts a tmpfs of $2 bytes (rounded up to pages) at $1.
disk() {
    mkdir -p "$1"
    mount -t tmpfs -o size="$(( ($2 + 4095) / 4096 * 4096 ))" tmpfs "$1" || fail "mount -t tmpfs at $1"
    mounted+=("$1")
}
# Fills the file system of $1 to the last byte.
fill() { cat /dev/zero >"$1/filler" 2>/dev/null || true; }
if [ "$(id -u)" != 0 ]; then echo "test-full-disk: skipped: mounting a tmpfs needs root"; exit 0; fi
mkdir -p "$T/probe"
if ! mount -t tmpfs -o size=65536 tmpfs "$T/probe" 2>"$T/mount.log"; then
    echo "test-full-disk: skipped: cannot mount a tmpfs here ($(head -1 "$T/mount.log"))"; exit 0
fi
umount "$T/probe"
compare() { python3 scripts/compare_checkpoints.py "$@" --identical >/dev/null; }
# metrics.csv less its throughput and wall-time columns.
metrics() { cut -d, -f1-7 "$1/metrics.csv"; }
# The TensorBoard scalars of a directory as the vgg reader sees them, less the throughput.
scalars() { bash -c 'source <(sed -n "/^scalars()/,/^}/p" scripts/chaos.sh); scalars "$1"' _ "$1"; }
args=(--data "$DATA" --arch A --batch-norm --width 8 --classifier-width 64 --limit-train 1024 --limit-test 256
      --checkpoint-every 4 --batch-size 64 --threads 1 --workers 1 --seed 3)
"$V" train "${args[@]}" --epochs 3 --out "$T/ref3" >/dev/null
"$V" train "${args[@]}" --epochs 4 --out "$T/ref4" >/dev/null
size=$(stat -c %s "$T/ref3/last.ckpt")

# 1. Room for one and a half checkpoints.
start=$SECONDS
disk "$T/d1" $((size * 3 / 2))
rc=0; "$V" train "${args[@]}" --epochs 3 --out "$T/d1/run" >"$T/d1.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "training on a disk too small for two checkpoints succeeded"
grep -q "last.ckpt: not saved (No space left on device); the previous file is unchanged" "$T/d1.log" \
    || fail "no clear error: $(tail -3 "$T/d1.log")"
! ls -a "$T/d1/run" | grep -q '\.tmp-' || fail "a temporary file was left: $(ls -a "$T/d1/run")"
"$V" eval --checkpoint "$T/d1/run/last.ckpt" --limit-test 8 --out "$T/d1-eval" >/dev/null 2>&1 || fail "the kept last.ckpt does not load"
cp -r "$T/d1/run" "$T/moved"
"$V" train "${args[@]}" --epochs 3 --out "$T/moved" --resume >"$T/moved.log" 2>&1 || fail "resuming elsewhere: $(tail -3 "$T/moved.log")"
compare "$T/ref3/last.ckpt" "$T/moved/last.ckpt" || fail "the resumed run differs from the uninterrupted one"
[ "$(metrics "$T/ref3")" = "$(metrics "$T/moved")" ] || fail "metrics.csv of the resumed run differs"
ok "room for 1.5 checkpoints ($((size * 3 / 2)) bytes): '$(grep -o 'last.ckpt: not saved.*' "$T/d1.log" | head -1)', status $rc, the kept checkpoint loads, resumed elsewhere bit-identical ($((SECONDS - start)) s)"

# 2. A finished run whose disk is then full, continued for one more epoch.
start=$SECONDS
disk "$T/d2" $((size * 8))
"$V" train "${args[@]}" --epochs 3 --out "$T/d2/run" >/dev/null
(cd "$T/d2/run" && sha256sum * | sort) >"$T/before"
fill "$T/d2"
rc=0; "$V" train "${args[@]}" --epochs 4 --out "$T/d2/run" --resume >"$T/d2.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a run on a full disk succeeded"
grep -q "No space left on device" "$T/d2.log" || fail "no 'No space left on device' in: $(tail -3 "$T/d2.log")"
! ls -a "$T/d2/run" | grep -q '\.tmp-' || fail "a temporary file was left: $(ls -a "$T/d2/run")"
(cd "$T/d2/run" && sha256sum $(cut -c67- "$T/before") | sort) >"$T/after"
diff "$T/before" "$T/after" >/dev/null || fail "files written before the disk was full changed: $(diff "$T/before" "$T/after")"
rm "$T/d2/filler"
"$V" train "${args[@]}" --epochs 4 --out "$T/d2/run" --resume >"$T/d2.resume.log" 2>&1 || fail "resuming once there is space: $(tail -3 "$T/d2.resume.log")"
compare "$T/ref4/last.ckpt" "$T/d2/run/last.ckpt" || fail "after the full disk: last.ckpt differs from the uninterrupted run's"
compare "$T/ref4/best.ckpt" "$T/d2/run/best.ckpt" || fail "after the full disk: best.ckpt differs"
[ "$(metrics "$T/ref4")" = "$(metrics "$T/d2/run")" ] || fail "after the full disk: metrics.csv differs"
[ "$(scalars "$T/ref4")" = "$(scalars "$T/d2/run")" ] || fail "after the full disk: TensorBoard scalars differ: $(diff <(scalars "$T/ref4") <(scalars "$T/d2/run") | head -5)"
for f in curves.png confusion.png predictions.png; do python3 -c "
import sys, zlib; d = open(sys.argv[1], 'rb').read(); assert d[:8] == b'\x89PNG\r\n\x1a\n' and d[-8:-4] == b'IEND', sys.argv[1]" "$T/d2/run/$f" \
    || fail "$f is not a whole PNG"; done
ok "a full disk one epoch later: '$(grep -m1 -o '[^ ]*: not saved.*\|No space left on device.*' "$T/d2.log")', status $rc, $(wc -l <"$T/before") files unchanged, no temporary file; resumed with space, bit-identical to 4 uninterrupted epochs ($((SECONDS - start)) s)"

# 3. vgg features and vgg export onto a full disk, over an existing output.
start=$SECONDS
disk "$T/d3" $((size * 8))
ck="$T/ref3/last.ckpt"
outputs=("features:$T/d3/f.safetensors" "export:$T/d3/w.safetensors" "onnx:$T/d3/m.onnx")
produce() {
    case "$1" in
        features) "$V" features --checkpoint "$ck" --split test --limit 64 --out "$2" ;;
        export) "$V" export --checkpoint "$ck" --out "$2" ;;
        onnx) "$V" export --checkpoint "$ck" --format onnx --out "$2" ;;
    esac
}
for o in "${outputs[@]}"; do produce "${o%%:*}" "${o#*:}" >/dev/null 2>&1 || fail "${o%%:*} on a disk with room"; done
(cd "$T/d3" && sha256sum *.safetensors *.onnx | sort) >"$T/before3"
fill "$T/d3"
for o in "${outputs[@]}"; do
    rc=0; produce "${o%%:*}" "${o#*:}" >"$T/d3.log" 2>&1 || rc=$?
    [ "$rc" != 0 ] || fail "${o%%:*} onto a full disk succeeded"
    grep -q "not saved (No space left on device); the previous file is unchanged" "$T/d3.log" || fail "${o%%:*}: no clear error: $(tail -3 "$T/d3.log")"
    ok "vgg ${o%%:*} onto a full disk: $(tail -1 "$T/d3.log")"
done
! ls -a "$T/d3" | grep -q '\.tmp-' || fail "a temporary file was left: $(ls -a "$T/d3")"
(cd "$T/d3" && sha256sum *.safetensors *.onnx | sort) >"$T/after3"
diff "$T/before3" "$T/after3" >/dev/null || fail "an earlier output changed: $(diff "$T/before3" "$T/after3")"
ok "vgg features and vgg export: the previous outputs unchanged ($((SECONDS - start)) s)"
echo "test-full-disk: all full-disk checks passed"
