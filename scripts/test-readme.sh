#!/usr/bin/env bash
# Runs every `vgg` command of README.md's code blocks and of the blocks of docs/*.md marked
# runnable (an opening fence of ```sh runnable), as written, in order (README.md, then the
# pages in the order of `pages` below, then any other page), on small data,
# so that an option the README names and the tool lacks (or a file one command expects
# from another) fails here:
#  - the commands run in a scratch directory that is also $HOME (so ~/cifar-10-batches-bin
#    and ~/imagenet/train are there), with `vgg` on PATH; /data/... is read from there too;
#  - stand-ins for the user's files: CIFAR-10 binaries and image folders of a few random PNG
#    and JPEG images, shoe.png and shirt.jpg, an input tensor x.safetensors, torchvision-style
#    weights (vgg16.safetensors/.pth, vgg11.pth, vgg11_bn.pth, w.safetensors) exported from
#    small networks trained first, and the runs the README's commands start from
#    (runs/a, runs/s256) when no earlier command makes them (scripts/readme_fixtures.py);
#  - the `vgg` on PATH appends options that keep each run small to what the README wrote:
#    train: 64 images, 1 epoch, batch 16, widths ÷16 (not with --finetune, whose source sets
#    them, nor --resume); eval: 16 test images; features: 32 images; bench: widths ÷16,
#    batch 8, one iteration. A later option replaces an earlier one, so the README's own
#    values are parsed and checked, then overridden;
#  - commands that need a GPU must stop with an error naming what is missing, on a machine
#    without one (and run when there is one); mpirun commands run when mpirun is installed.
# Usage: scripts/test-readme.sh [--keep]   (--keep leaves the scratch directory)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
keep=0
[ "${1:-}" = "--keep" ] && keep=1
swift build --product vgg >/dev/null
V="$root/.build/debug/vgg"
T=$(mktemp -d)
[ $keep -eq 1 ] && echo "test-readme: scratch directory $T" || trap '[ "$BASHPID" = "$$" ] && rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/data"
cat >"$T/bin/vgg" <<EOF
#!/usr/bin/env bash
# vgg with options that keep README commands small (scripts/test-readme.sh).
args=" \$* "
extra=()
case "\$1" in
    train)
        if [[ "\$args" != *" --resume "* ]]; then
            extra=(--limit-train 64 --limit-test 32 --epochs 1 --batch-size 16 --threads 1)
            [[ "\$args" == *" --finetune "* ]] || extra+=(--width 16 --classifier-width 64)
        fi ;;
    eval) extra=(--limit-test 16 --batch-size 16 --threads 1) ;;
    features) extra=(--limit 32 --batch-size 16 --threads 1) ;;
    bench) [[ "\$args" == *" --allreduce "* ]] || extra=(--width 16 --classifier-width 64 --batch-size 8 --iterations 1 --warmup 0) ;;
esac
exec "$V" "\$@" "\${extra[@]}"
EOF
chmod +x "$T/bin/vgg"
export PATH="$T/bin:$PATH" HOME="$T" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fixtures() { python3 "$root/scripts/readme_fixtures.py" "$@"; }
fixtures data "$T"
ln -s "$T/imagenet" "$T/data/imagenet"
printf 'localhost slots=8\n' >"$T/hosts"
cd "$T"

# Networks the README's files come from: 3-channel 224-pixel VGG-A, VGG-A-BN and VGG-D (widths
# ÷16) from the image folders, exported as torchvision state_dicts (safetensors, then
# torch.save's format).
for net in "A:" "A:--batch-norm" "D:"; do
    arch=${net%%:*}; bn=${net#*:}
    name=setup-$arch${bn:+-bn}
    vgg train --data "$T/imagenet/train" --scale 256 --crop 224 --arch "$arch" $bn --out "runs/$name" </dev/null >"$name.log" 2>&1 \
        || { cat "$name.log"; echo "test-readme: FAILED: training the stand-in $name" >&2; exit 1; }
    vgg export --checkpoint "runs/$name/last.ckpt" --out "$name.safetensors" >/dev/null
done
cp setup-D.safetensors vgg16.safetensors
cp setup-A.safetensors w.safetensors
fixtures pth setup-D.safetensors vgg16.pth
fixtures pth setup-A.safetensors vgg11.pth
fixtures pth setup-A-bn.safetensors vgg11_bn.pth
fixtures input x.safetensors 2 3 224 224

# Runs the README names as sources without a command making them: trained here, small.
before() {
    case "$1" in
        *"--init-from runs/a/best.ckpt"*) [ -e runs/a/best.ckpt ] || vgg train --arch A --out runs/a </dev/null >runs-a.log 2>&1 ;;
        *"--finetune runs/s256/best.ckpt"*) [ -e runs/s256/best.ckpt ] || vgg train --scale 256 --crop 224 --out runs/s256 </dev/null >runs-s256.log 2>&1 ;;
    esac
}

# The pages in the order a later command expects an earlier one's files (the README's old order).
pages=()
for page in training formats fine-tuning gpu distributed results speed correctness architecture library development; do
    pages+=("docs/$page.md")
done
for page in "$root"/docs/*.md; do
    [[ " ${pages[*]} " == *" docs/${page##*/} "* ]] || pages+=("docs/${page##*/}")
done
gpu=0
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && gpu=1
mpi=0
command -v mpirun >/dev/null 2>&1 && mpi=1
passed=0; failed=0; skipped=0
while IFS=$'\t' read -r line cmd; do
    cmd=${cmd//\/data\//$T\/data\/}
    log="$T/line-${line//\//_}.log"
    if [[ "$cmd" == mpirun* ]] && [ $mpi -eq 0 ]; then
        echo "test-readme: skipped (no mpirun): $line: $cmd"; skipped=$((skipped + 1)); continue
    fi
    before "$cmd"
    rc=0; (eval "$cmd") </dev/null >"$log" 2>&1 || rc=$?
    if [[ "$cmd" == *"--backend cuda"* ]] && [ $gpu -eq 0 ]; then
        if [ $rc -ne 0 ] && grep -qi "cuda\|libcuda\|gpu" "$log"; then
            echo "test-readme: ok (no GPU here: stops naming it): $line: $cmd: $(grep -i -m1 'cuda\|gpu' "$log")"
            passed=$((passed + 1))
        else
            echo "test-readme: FAILED: $line: $cmd: without a GPU, exit $rc and: $(tail -2 "$log")" >&2
            failed=$((failed + 1))
        fi
        continue
    fi
    if [ $rc -eq 0 ]; then
        echo "test-readme: ok: $line: $cmd"; passed=$((passed + 1))
    else
        echo "test-readme: FAILED: $line: $cmd (exit $rc):" >&2; tail -5 "$log" | sed 's/^/    /' >&2
        failed=$((failed + 1))
    fi
done < <(cd "$root" && python3 scripts/readme_commands.py README.md "${pages[@]}")
echo "test-readme: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
