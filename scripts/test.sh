#!/usr/bin/env bash
# Runs the whole test suite (installing the system packages first when missing), then the
# kernel, layer and golden tests again under every convolution algorithm and GEMM library
# this CPU runs: which code computes a convolution depends on the CPU and the settings, so
# each choice is forced once; then the command line's handling of signals, divergence and bad
# paths (scripts/test-cli.sh), a chaos soak of kills and resumes (scripts/chaos.sh), a full disk
# (scripts/test-full-disk.sh), corrupted checkpoints (scripts/test-corrupt-checkpoint.sh), bad files in a data folder (scripts/test-bad-data.sh), the data-parallel checks under mpirun (scripts/test-mpi.sh) and across namespace hosts over TCP (scripts/test-hosts.sh).
# Last, the Examples/ package, built and run (scripts/test-examples.sh; VGG_TEST_EXAMPLES=0 skips it).
# Arguments go to the first `swift test` (and skip the rest).
#
# `scripts/test.sh --sanitize address` runs the whole suite under AddressSanitizer (the
# Swift code and the C kernels, which also get UndefinedBehaviorSanitizer);
# `scripts/test.sh --sanitize thread` runs the tests of the multi-threaded code (data loader,
# Winograd, pooling, batch norm and dropout kernels, gradient synchronizer) under
# ThreadSanitizer (libgomp's known false positive: see scripts/tsan-suppressions.txt).
# Each builds in its own scratch directory (.build-address, .build-thread).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${1:-}" = "--sanitize" ]; then
    kind=${2:-}
    shift 2 || true
    case "$kind" in
        address)
            # UBSan for the C targets (clang takes both; swiftc keeps one -sanitize=), without
            # the function-type check: the MPI shim calls functions it looks up in Open MPI,
            # which carry no type signature. Any report fails the run: ASan halts by default,
            # UBSan is told to. No leak check:
            # XCTest on Linux leaks a weak-reference side table per test (awaitUsingExpectation),
            # which leaves every test case and all it holds as "indirect leaks" at exit (a test
            # package of one empty test shows it). Leaks of the readers are checked by the
            # fuzzing harnesses (scripts/fuzz.sh), under LeakSanitizer.
            export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
            export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
            exec swift test --disable-swift-testing --scratch-path .build-address --sanitize=address \
                -Xcc -fsanitize=undefined -Xcc -fno-sanitize=function "$@" ;;
        thread)
            # The data loader's threads; the Winograd transforms, pooling, batch norm and dropout
            # kernels on libgomp's threads; the gradient synchronizer's communication thread.
            tsan_tests='LoaderTests|WinogradConvolutionTests|CPUConvolutionAlgorithmTests|ConvolutionConformanceTests'
            tsan_tests+='|MaxPoolingKernelTests|PoolingConformanceTests|NormalisationConformanceTests|SynchronizedBatchNormTests'
            tsan_tests+='|DropoutConformanceTests|GradientSynchronizerTests'
            # The host emulation of the cuda kernels: one thread per CUDA thread at block and warp barriers.
            tsan_tests+='|CUDAEmulationTests'
            export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan-suppressions.txt:halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
            exec swift test --disable-swift-testing --scratch-path .build-thread --sanitize=thread \
                --filter "$tsan_tests" "$@" ;;
        *) echo "test.sh: --sanitize takes address or thread" >&2; exit 2 ;;
    esac
fi
# XCTest only: the suite has no Swift Testing tests, whose empty summary would otherwise close the output.
swift test --disable-swift-testing "$@"
[ $# -gt 0 ] && exit 0
# The bfloat16 exchange's vector kernels against their plain C path on every input (about 20 s).
bf16_check=$(mktemp)
cc -O2 -I Sources/CShims/CMPIShim/include scripts/bf16-exhaustive.c Sources/CShims/CMPIShim/bf16.c -o "$bf16_check"
"$bf16_check"; rm -f "$bf16_check"
bash scripts/test-nvrtc.sh  # the CUDA kernels: generated program current, compiled by the real NVRTC (sm_80, sm_90)

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
# Kills at random moments, resumed each time: nothing lost (a short soak; see docs/robustness.md).
bash scripts/chaos.sh --cycles 15 --seed 1
# The same under mpirun -np 2, each kill aimed at mpirun or a rank (seed 2 found the resume that
# differed in the running variances' last bits before they were averaged after every step).
bash scripts/chaos.sh --mpi --cycles 8 --seed 2
# A really full disk (size-limited tmpfs mounts): nothing written before is corrupted.
bash scripts/test-full-disk.sh
# A corrupted last.ckpt on --resume: the fallback to previous.ckpt, or one line refusing it.
bash scripts/test-corrupt-checkpoint.sh
# A data folder full of trouble: refused naming the file before training, or left out and listed with --skip-bad-images.
bash scripts/test-bad-data.sh
# Data-parallel training under mpirun (equivalence, faults, resume, bad use).
bash scripts/test-mpi.sh
# The same across 2 hosts over TCP (network namespaces; skipped, saying why, without root).
bash scripts/test-hosts.sh
# Every vgg command of README.md and docs/, as written, on small data; the module graph of docs/.
bash scripts/test-readme.sh
bash tools/module-graph.sh --check
# The Examples/ package (a user's package depending on this one by path), built and run on small
# data. Its clean build compiles the library again as a dependency (82–122 s on the 2-core
# machine, plus 20–45 s for the programs; see docs/development.md); VGG_TEST_EXAMPLES=0 skips it.
if [ "${VGG_TEST_EXAMPLES:-1}" = 1 ]; then
    bash scripts/test-examples.sh
else
    echo "test.sh: Examples/ skipped (VGG_TEST_EXAMPLES=0)"
fi
echo "test.sh: the suite, the algorithm matrix, the command-line, data-parallel and README checks passed"
