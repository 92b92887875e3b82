#!/usr/bin/env bash
# A data folder full of trouble (docs/robustness.md, "Bad files in a data folder"). Each
# troublesome file is put alone into a folder of good images (scripts/bad_data_fixtures.py):
#  1. refused ones (empty, truncated JPEG and PNG, text named .jpg, no read permission, a
#     symbolic link loop, 20000x20000 PNG and JPEG headers, a class folder without images):
#     `vgg train` stops before reading any image with one line naming the file and the problem,
#     a non-zero exit status, nothing written;
#  2. accepted ones (a PNG named .jpg, 1x1, gray JPEG, CMYK JPEG, 16-bit PNG): it trains;
#  3. all of them in one folder with --skip-bad-images: it trains, says "skipped N of M images:
#     …" in one line and lists path, kind and problem per line in OUT/skipped-images.txt;
#  4. `vgg eval` on a validation folder with bad files: the same, without and with the flag.
# Running as root, the file without read permission is read anyway: that case is skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product vgg >/dev/null 2>&1 || swift build --product vgg
V="$PWD/.build/debug/vgg"
F="python3 $PWD/scripts/bad_data_fixtures.py"
T=$(mktemp -d)
trap 'if [ "$BASHPID" = "$$" ]; then chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"; fi' EXIT  # not in a forked child (see chaos.sh)
fail() { echo "test-bad-data: FAILED: $*" >&2; exit 1; }
ok() { echo "test-bad-data: ok: $*"; }
args=(--arch A --width 8 --classifier-width 64 --scale 32 --crop 32 --epochs 1 --batch-size 4 --threads 1 --workers 1
      --val-fraction 0.2 --seed 1)
name_of() { $F cases | awk -v c="$1" '$1 == c { print $2 }'; }
add() {  # add CASE ROOT: the troublesome file of CASE in class b (an empty class folder beside the others)
    if [ "$1" = empty-class ]; then $F bad "$1" "$2/$(name_of "$1")"; else $F bad "$1" "$2/b/$(name_of "$1")"; fi
}
root=$(id -u)

# 1. Refused, naming the file and the problem.
refused=(empty:"empty file" truncated-jpeg:"truncated JPEG" truncated-png:"truncated PNG" text:"not a JPEG or PNG file"
         unreadable:"no read permission" symlink-loop:"symbolic link loop" huge-png:"PNG of 20000x20000 pixels is larger than the limit of 67108864 pixels"
         huge-jpeg:"JPEG of 20000x20000 pixels is larger than the limit of 67108864 pixels" empty-class:"class folder 'd-empty' contains no images")
for entry in "${refused[@]}"; do
    case=${entry%%:*}; says=${entry#*:}
    if [ "$case" = unreadable ] && [ "$root" = 0 ]; then
        echo "test-bad-data: skipped: $case (running as root, which reads a file without read permission anyway)"; continue
    fi
    d="$T/$case"; $F good "$d/train"; add "$case" "$d/train"
    file="$d/train/b/$(name_of "$case")"; [ "$case" = empty-class ] && file="$d/train/d-empty"
    rc=0; "$V" train "${args[@]}" --data "$d/train" --out "$d/run" >"$T/out.log" 2>"$T/err.log" || rc=$?
    [ "$rc" != 0 ] || fail "$case: trained: $(tail -2 "$T/out.log")"
    [ "$(wc -l <"$T/err.log")" = 1 ] && grep -qF "Error: $file: " "$T/err.log" && grep -qF "$says" "$T/err.log" \
        || fail "$case: not one line naming $file and '$says': $(cat "$T/err.log")"
    [ ! -s "$T/out.log" ] || fail "$case: the data was read before the refusal: $(head -2 "$T/out.log")"
    [ ! -e "$d/run/last.ckpt" ] || fail "$case: a checkpoint was written"
    ok "$case: $(cat "$T/err.log")"
done

# 2. Accepted, decoded to 8-bit RGB.
accepted=(png-named-jpg one-pixel gray-jpeg cmyk-jpeg 16-bit-png)
d="$T/accepted"; $F good "$d/train"
for case in "${accepted[@]}"; do add "$case" "$d/train"; done
"$V" train "${args[@]}" --data "$d/train" --out "$d/run" >"$T/out.log" 2>"$T/err.log" || fail "accepted files refused: $(cat "$T/err.log")"
grep -q "^train 13 images, validation 4," "$T/out.log" || fail "not all accepted files used: $(grep '^train' "$T/out.log")"
! grep -q "skipp" "$T/out.log" "$T/err.log" || fail "an accepted file was skipped: $(cat "$T/err.log")"
ok "accepted and trained on: ${accepted[*]} ($(grep '^train ' "$T/out.log" | cut -d, -f1,2))"

# 3. All of them with --skip-bad-images.
d="$T/all"; $F good "$d/train"
for entry in "${refused[@]}"; do add "${entry%%:*}" "$d/train"; done
for case in "${accepted[@]}"; do add "$case" "$d/train"; done
bad=8; unreadable=1; [ "$root" = 0 ] && { bad=7; unreadable=0; }  # as root the locked file is read: 13 good images in class b
rc=0; "$V" train "${args[@]}" --data "$d/train" --out "$d/run" --skip-bad-images >"$T/out.log" 2>"$T/err.log" || rc=$?
[ "$rc" = 0 ] || fail "--skip-bad-images: did not train: $(cat "$T/err.log")"
line=$(grep "^skipped " "$T/out.log") || fail "--skip-bad-images: no summary line: $(head -3 "$T/out.log")"
[ "$(grep -c "skipped" "$T/out.log")" = 1 ] || fail "--skip-bad-images: more than one line about it: $(grep skipped "$T/out.log")"
total=$((12 + ${#accepted[@]} + 8))  # the good ones, the accepted ones, and 8 troublesome files (the locked one good as root)
want="skipped $bad of $total images: $([ $unreadable = 1 ] && echo "2 unreadable" || echo "1 unreadable"), 1 empty, 1 not an image, 2 truncated, 2 too large; 1 class folder without images (kept as a class); list in $d/run/skipped-images.txt"
[ "$line" = "$want" ] || fail "--skip-bad-images: summary line is
  $line
not
  $want"
list="$d/run/skipped-images.txt"
[ "$(wc -l <"$list")" = $((bad + 1)) ] || fail "--skip-bad-images: $list has not $((bad + 1)) lines: $(cat "$list")"
for entry in "${refused[@]}"; do
    case=${entry%%:*}; [ "$case" = unreadable ] && [ "$root" = 0 ] && continue
    file="$d/train/b/$(name_of "$case")"; [ "$case" = empty-class ] && file="$d/train/d-empty"
    grep -qF "$file	" "$list" || fail "--skip-bad-images: $file not in $list"
done
classes=$(grep -o "[0-9]* classes" "$T/out.log" | head -1)
[ "$classes" = "4 classes" ] || fail "--skip-bad-images: the empty class folder is not kept as a class: $classes"
[ -e "$d/run/last.ckpt" ] || fail "--skip-bad-images: no checkpoint"
ok "--skip-bad-images: $line ($classes: the empty class folder keeps its index)"

# 4. vgg eval on a validation folder with bad files (the sibling 'val' of 'train').
mkdir -p "$d/val/d-empty"; $F good "$d/val"; cp "$d/val/a/img0.png" "$d/val/d-empty/"  # the model's 4 classes
for case in empty truncated-jpeg huge-png; do add "$case" "$d/val"; done
rc=0; "$V" eval --checkpoint "$d/run/last.ckpt" --data "$d/train" --test-split --threads 1 --out "$d/eval" >"$T/out.log" 2>"$T/err.log" || rc=$?
[ "$rc" != 0 ] && [ "$(wc -l <"$T/err.log")" = 1 ] && grep -qF "Error: $d/val/b/empty.jpg: empty file" "$T/err.log" \
    || fail "vgg eval: not one line naming the first bad file: $(cat "$T/err.log")"
ok "vgg eval: $(cat "$T/err.log")"
"$V" eval --checkpoint "$d/run/last.ckpt" --data "$d/train" --test-split --threads 1 --out "$d/eval" --skip-bad-images >"$T/out.log" 2>"$T/err.log" \
    || fail "vgg eval --skip-bad-images: $(cat "$T/err.log")"
line=$(grep "^skipped " "$T/out.log") || fail "vgg eval --skip-bad-images: no summary line: $(head -3 "$T/out.log")"
[ "$line" = "skipped 3 of 16 images: 1 empty, 1 truncated, 1 too large; list in $d/eval/skipped-images.txt" ] \
    && [ "$(wc -l <"$d/eval/skipped-images.txt")" = 3 ] || fail "vgg eval --skip-bad-images: $line"
ok "vgg eval --skip-bad-images: $line"
echo "test-bad-data: all checks passed"
