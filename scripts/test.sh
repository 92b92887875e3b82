#!/usr/bin/env bash
# Runs the whole test suite (installing the system packages first when missing), then the
# kernel, layer and golden tests again under every convolution algorithm and GEMM library
# this CPU runs: which code computes a convolution depends on the CPU and the settings, so
# each choice is forced once; then the command line's handling of signals, divergence and bad
# paths (scripts/test-cli.sh) and the data-parallel checks under mpirun (scripts/test-mpi.sh).
# Arguments go to the first `swift test` (and skip the rest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# XCTest only: the suite has no Swift Testing tests, whose empty summary would otherwise close the output.
swift test --disable-swift-testing "$@"
[ $# -gt 0 ] && exit 0

log=$(mktemp)
trap 'rm -f "$log"' EXIT
matrix() {
    echo "== $* (kernel, layer and golden tests)"
    local rc=0
    env "$@" swift test --skip-build --disable-swift-testing \
        --filter 'CPUBackendTests|BackendConformanceTests|NNTests|VGGTests' >"$log" 2>&1 || rc=$?
    grep -E 'error:|failed \(' "$log" | head -n 20 || true
    grep -E 'Executed [0-9]+ tests' "$log" | tail -n 1
    return $rc
}
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { [[ " $flags " == *" $1 "* ]]; }
matrix VGG_CONV_ALGORITHM=direct
if has avx2 && has fma; then matrix VGG_CONV_ALGORITHM=winograd VGG_WINOGRAD=native; fi
if has avx512f; then matrix VGG_CONV_ALGORITHM=winograd VGG_WINOGRAD=onednn; fi
matrix VGG_GEMM=openblas
# Signals, NaNs, unusable paths and data of the wrong shape, through the command line.
bash scripts/test-cli.sh
# Data-parallel training under mpirun (equivalence, faults, resume, bad use).
bash scripts/test-mpi.sh
echo "test.sh: the suite, the algorithm matrix, the command-line and the data-parallel checks passed"
