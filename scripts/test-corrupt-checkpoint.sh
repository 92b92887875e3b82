#!/usr/bin/env bash
# Corrupted checkpoints on --resume. A run keeps last.ckpt and the good checkpoint before it,
# previous.ckpt (each read back and its CRC checked after writing):
#  1. last.ckpt with a flipped byte, truncated to two thirds, empty, or missing: --resume says so
#     in one line and falls back to previous.ckpt; the run ends bit-identical to the uninterrupted
#     one, and previous.ckpt is not replaced by the bad file.
#  2. both bad, or a bad last.ckpt and no previous.ckpt: refused with one line naming the file(s),
#     a non-zero exit status, nothing trained, the files left as they were.
#  3. a whole checkpoint of another architecture, or of another run (another seed), in place of
#     last.ckpt: refused with one line naming both settings (no fallback: it is not damage).
#  4. a kill -9 while best.ckpt is being written (at the last validation): the resumed run ends
#     with the uninterrupted run's best.ckpt (best.ckpt is written before last.ckpt; the other
#     order left a last.ckpt past that validation and no best.ckpt of it, found by the chaos soak).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product vgg >/dev/null
V="$PWD/.build/debug/vgg"
T=$(mktemp -d)
trap '[ "$BASHPID" = "$$" ] && rm -rf "$T"' EXIT  # not in a forked child (see chaos.sh)
fail() { echo "test-corrupt-checkpoint: FAILED: $*" >&2; exit 1; }
args=(--data /usr/share/datasets/fashion-mnist --arch A --batch-norm --width 8 --classifier-width 64 --limit-train 256
      --limit-test 64 --epochs 1 --batch-size 64 --threads 1 --workers 1 --seed 3 --checkpoint-every 2)
"$V" train "${args[@]}" --out "$T/good" >/dev/null
[ -f "$T/good/previous.ckpt" ] || fail "no previous.ckpt beside last.ckpt"
identical() { python3 scripts/compare_checkpoints.py "$1" "$2" --identical >/dev/null; }
! identical "$T/good/last.ckpt" "$T/good/previous.ckpt" || fail "previous.ckpt is last.ckpt, not the checkpoint before it"
size=$(stat -c %s "$T/good/last.ckpt")
damage() {
    case $1 in
        flip) printf '\xff' | dd of="$2" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null ;;
        truncated) truncate -s $((size * 2 / 3)) "$2" ;;
        empty) : >"$2" ;;
        missing) rm "$2" ;;
    esac
}
# 1. The fallback.
for kind in flip truncated empty missing; do
    d="$T/$kind"; cp -r "$T/good" "$d"; damage $kind "$d/last.ckpt"
    "$V" train "${args[@]}" --out "$d" --resume >"$T/out.log" 2>"$T/err.log" || fail "$kind: no fallback: $(cat "$T/err.log")"
    line=$(grep "previous checkpoint" "$T/out.log") || fail "$kind: the fallback is not said: $(head -3 "$T/out.log")"
    [ "$(grep -c "previous checkpoint" "$T/out.log")" = 1 ] && [[ "$line" == "$d/last.ckpt: "*"; resuming from the previous checkpoint, $d/previous.ckpt: epoch 1, batch 2" ]] \
        || fail "$kind: not one clear line: $line"
    identical "$T/good/last.ckpt" "$d/last.ckpt" || fail "$kind: the resumed run differs from the uninterrupted one"
    identical "$T/good/previous.ckpt" "$d/previous.ckpt" || fail "$kind: previous.ckpt was replaced"
    echo "test-corrupt-checkpoint: ok: $kind: $line"
done
# 2. Nothing good to fall back to.
refused() {  # refused NAME DIR PATTERN: --resume fails with one line matching PATTERN, trains nothing, changes nothing
    local sum; sum=$(cat "$2"/*.ckpt | sha256sum)
    rc=0; "$V" train "${@:4}" --out "$2" --resume >"$T/out.log" 2>"$T/err.log" || rc=$?
    [ "$rc" != 0 ] || fail "$1: resumed: $(tail -2 "$T/out.log")"
    [ "$(wc -l <"$T/err.log")" = 1 ] && grep -q "^Error: $3" "$T/err.log" || fail "$1: not one clear line: $(cat "$T/err.log")"
    ! grep -q "^epoch 1" "$T/out.log" || fail "$1: training started"
    [ "$(cat "$2"/*.ckpt | sha256sum)" = "$sum" ] || fail "$1: a checkpoint was changed"
    echo "test-corrupt-checkpoint: ok: $1: $(cat "$T/err.log")"
}
for kind in flip truncated empty; do
    d="$T/only-$kind"; cp -r "$T/good" "$d"; rm "$d/previous.ckpt"; damage $kind "$d/last.ckpt"
    refused "$kind, no previous.ckpt" "$d" "$d/last.ckpt: " "${args[@]}"
done
d="$T/both"; cp -r "$T/good" "$d"; damage flip "$d/last.ckpt"; damage truncated "$d/previous.ckpt"
refused "both damaged" "$d" "$d/last.ckpt: corrupt .*; the previous checkpoint, $d/previous.ckpt, too: .*: nothing to resume from$" "${args[@]}"
# 3. Another architecture's or another run's checkpoint.
other=("${args[@]}"); other[3]=B; unset 'other[4]'
"$V" train "${other[@]}" --out "$T/arch" >/dev/null
d="$T/foreign-arch"; cp -r "$T/good" "$d"; cp "$T/arch/last.ckpt" "$d/last.ckpt"
refused "another architecture" "$d" "$d/last.ckpt: was saved for VGG-B, widths /8, classifier 64, not the VGG-A-BN, widths /8, classifier 64 of this command line: another architecture's checkpoint" "${args[@]}"
"$V" train "${args[@]}" --seed 4 --out "$T/seed" >/dev/null
d="$T/foreign-run"; cp -r "$T/good" "$d"; cp "$T/seed/last.ckpt" "$d/last.ckpt"
refused "another run" "$d" "$d/last.ckpt: was saved by a run with seed 4, not this command line's 3: another run's checkpoint" "${args[@]}"
d="$T/killed-best"
"$V" train "${args[@]}" --out "$d" >/dev/null 2>&1 & pid=$!
while kill -0 "$pid" 2>/dev/null && ! compgen -G "$d/.best.ckpt.tmp-*" >/dev/null; do :; done
kill -KILL "$pid" 2>/dev/null || fail "the run ended before its best.ckpt was written"
wait "$pid" 2>/dev/null || true
"$V" train "${args[@]}" --out "$d" --resume >"$T/killed-best.log" 2>&1 || fail "resuming after a kill during best.ckpt's write: $(tail -3 "$T/killed-best.log")"
identical "$T/good/best.ckpt" "$d/best.ckpt" || fail "after a kill during best.ckpt's write, the resumed run's best.ckpt differs from the uninterrupted run's"
identical "$T/good/last.ckpt" "$d/last.ckpt" || fail "after a kill during best.ckpt's write, the resumed run's last.ckpt differs"
echo "test-corrupt-checkpoint: ok: a kill -9 during best.ckpt's write: $(grep -o 'resuming from .*' "$T/killed-best.log" | sed "s|$T/||"), best.ckpt and last.ckpt as uninterrupted"
echo "test-corrupt-checkpoint: all checks passed"
