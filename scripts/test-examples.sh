#!/usr/bin/env bash
# Builds the Examples/ package, which depends on this one by path as a user's own package would
# (`.package(path: "..")`, the `VGGKitCPU` library product), in its own build folder
# (Examples/.build: the library is compiled again there, as a dependency), then runs its three
# programs on small data in a scratch directory: training on part of Fashion-MNIST with an
# early-stopping observer, fine-tuning that checkpoint into a footwear classifier and
# classifying test images with it, features and a linear probe.
set -euo pipefail
cd "$(dirname "$0")/.."
# SwiftPM names a path dependency after its folder: a checkout folder named "examples" would
# clash with the Examples package itself.
if [ "$(basename "$PWD" | tr '[:upper:]' '[:lower:]')" = examples ]; then
    echo "test-examples: the checkout's folder is named $(basename "$PWD"), as Examples/ is: SwiftPM cannot tell the two packages apart; clone into another folder name" >&2
    exit 1
fi
start=$SECONDS
swift build --package-path Examples
built=$((SECONDS - start))
bin=$(swift build --package-path Examples --show-bin-path)
T=$(mktemp -d)
trap '[ "$BASHPID" = "$$" ] && rm -rf "$T"' EXIT  # not in a forked child (see chaos.sh)
cd "$T"
step() {  # step NAME EXPECTED-LINE COMMAND...: runs COMMAND, fails unless its output has EXPECTED-LINE
    local name=$1 expected=$2
    shift 2
    "$@" >"$name.log" 2>&1 || { cat "$name.log"; echo "test-examples: FAILED: $name exited with an error" >&2; exit 1; }
    grep -E "$expected" "$name.log" || { cat "$name.log"; echo "test-examples: FAILED: $name printed no line matching '$expected'" >&2; exit 1; }
}
step train '^(trained [0-9]+ epochs|stopped early)' "$bin/TrainFashionMNIST" runs/example
grep -E '^epoch [0-9]+: loss' train.log   # the example's own observer
[ -s runs/example/best.ckpt ] || { echo "test-examples: FAILED: no runs/example/best.ckpt" >&2; exit 1; }
step finetune '^test image [0-9]+ \((Sandal|Sneaker|Ankle boot)\): (Sandal|Sneaker|Ankle boot), p = ' \
    "$bin/FineTuneAndClassify" runs/example/best.ckpt runs/example-footwear
[ "$(grep -c '^test image' finetune.log)" -eq 5 ] || { cat finetune.log; echo "test-examples: FAILED: not 5 classified images" >&2; exit 1; }
step features '^linear probe on fc6: test top-1 [0-9.]+$' "$bin/ExtractFeatures" runs/example/best.ckpt fc6.safetensors
[ -s fc6.safetensors ] || { echo "test-examples: FAILED: no fc6.safetensors" >&2; exit 1; }
echo "test-examples: the Examples package built in $built s, its three programs ran in $((SECONDS - start - built)) s"
