#!/usr/bin/env bash
# What TensorBoard logging costs `vgg train`: the same short run with and without
# --no-tensorboard, interleaved (this machine is shared and noisy), median wall time of each.
# A small network makes steps short, so the per-step logging weighs as much as it ever will.
#
#   bench/tensorboard_overhead.sh [VGG] [REPS]     (default .build/release/vgg, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
V=${1:-.build/release/vgg}
reps=${2:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
args=(--arch A --batch-norm --width 8 --classifier-width 128 --limit-train 8192 --limit-test 256
      --epochs 1 --batch-size 32 --threads 1 --seed 1)
run() {  # prints the wall time of one run in seconds
    local start end
    start=$(date +%s.%N)
    "$V" train "${args[@]}" "$@" --out "$T/run" >/dev/null 2>&1
    end=$(date +%s.%N)
    rm -rf "$T/run"
    echo "$end - $start" | bc
}
with=(); without=()
for _ in $(seq "$reps"); do
    with+=("$(run)")
    without+=("$(run --no-tensorboard)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m1=$(median "${with[@]}"); m0=$(median "${without[@]}")
echo "steps: 256 of batch 32 (VGG-A-BN, widths /8), $reps runs each, interleaved"
echo "with TensorBoard:    median ${m1} s  (${with[*]})"
echo "--no-tensorboard:    median ${m0} s  (${without[*]})"
echo "ratio with/without:  $(echo "scale=3; $m1 / $m0" | bc)"
