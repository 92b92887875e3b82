#!/usr/bin/env bash
# The main job: installs what is missing, builds, trains VGG-A (with BatchNorm) on
# Fashion-MNIST for one epoch with the paper's optimiser settings, then evaluates it.
# Extra arguments go to `vgg train` (e.g. --epochs 20 --out runs/long).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product vgg
out=runs/fashion-mnist
prev=""; for a in "$@"; do [ "$prev" = "--out" ] && out="$a"; prev="$a"; done
.build/release/vgg train --arch A --batch-norm --init kaiming --epochs 1 --batch-size 128 --out "$out" "$@"
.build/release/vgg eval --checkpoint "$out/best.ckpt" --json
