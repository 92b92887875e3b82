#!/usr/bin/env bash
# Builds the libFuzzer harnesses of FuzzTesting/ (every module instrumented for coverage and
# AddressSanitizer) and runs them, a short time each by default:
#
#   scripts/fuzz.sh [--seconds N] [--runs N] [--no-build] [--make-seeds] [TARGET...]
#
# TARGET is one of: idx idx-gzip cifar10 cifar100 jpeg png safetensors checkpoint
# legacy-checkpoint options pth (default: all). Each runs for --seconds (default 10) or --runs
# inputs, whichever ends first, starting from the committed seeds (FuzzTesting/Corpora/TARGET)
# and the inputs earlier runs found (FuzzTesting/.build/corpus/TARGET, not committed), with
# libFuzzer's limits -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30. A crash, failed
# check, leak, out-of-memory or timeout stops that target; its input is kept under
# FuzzTesting/.build/findings/TARGET/ and the script exits non-zero after the others ran.
# Per target it prints executions, seconds, coverage (libFuzzer's final `cov:` and `ft:`),
# corpus size, findings, and inputs that took over 10 s (kept as slow-unit-*, reported, not
# failures: a loaded machine makes them; an input over 30 s is a timeout, a finding).
#
# --make-seeds rewrites the committed seeds from each harness's `seeds()` (files the
# toolkit writes, and edge cases) instead of fuzzing; reproducers of fixed findings stay.
# Reproduce a finding with: FuzzTesting/.build/debug/FuzzIDX FILE
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=10
runs=""
build=1
make_seeds=0
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --make-seeds) make_seeds=1; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

declare -A binary=(
    [idx]=FuzzIDX [idx-gzip]=FuzzIDXGzip [cifar10]=FuzzCIFAR10 [cifar100]=FuzzCIFAR100
    [jpeg]=FuzzJPEG [png]=FuzzPNG [safetensors]=FuzzSafeTensors [checkpoint]=FuzzCheckpoint
    [legacy-checkpoint]=FuzzLegacyCheckpoint [options]=FuzzOptions [pth]=FuzzPyTorch
)
all=(idx idx-gzip cifar10 cifar100 jpeg png safetensors checkpoint legacy-checkpoint options pth)
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
for t in "${targets[@]}"; do
    [ -n "${binary[$t]:-}" ] || { echo "fuzz.sh: unknown target '$t' (one of: ${all[*]})" >&2; exit 2; }
done

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
pkg=$root/FuzzTesting
if [ $build -eq 1 ]; then
    start=$(date +%s)
    # SwiftPM does not notice files added to a path dependency (the main package) once it has
    # planned a build: drop the cached plan so that it looks again.
    rm -f "$pkg"/.build/*/debug/description.json
    # swiftc keeps only the last -sanitize= it is given, and SwiftPM passes one per --sanitize:
    # -Xswiftc adds the combined flag after them (the C targets get both from --sanitize).
    # ld.gold warns about every ASan helper it cannot export: harmless, and thousands of lines.
    if ! swift build --package-path "$pkg" --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
            >"$pkg/.build-log" 2>&1; then
        grep -v "Cannot export local symbol" "$pkg/.build-log" | tail -n 40
        echo "fuzz.sh: the harnesses do not build" >&2
        exit 1
    fi
    rm -f "$pkg/.build-log"
    echo "fuzz.sh: harnesses built in $(( $(date +%s) - start )) s"
fi
bin=$pkg/.build/debug

if [ $make_seeds -eq 1 ]; then
    for t in "${targets[@]}"; do
        VGG_FUZZ_WRITE_SEEDS="$pkg/Corpora/$t" "$bin/${binary[$t]}"
    done
    exit 0
fi

# Small scratch files are rewritten for every input: keep them in memory when possible.
if [ -z "${VGG_FUZZ_SCRATCH:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export VGG_FUZZ_SCRATCH=/dev/shm; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=1:allocator_may_return_null=0"
# Known leaks of the libraries, each explained there.
export LSAN_OPTIONS="suppressions=$root/scripts/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

printf '%-18s %12s %8s %8s %8s %8s %9s %5s\n' target executions seconds cov ft corpus findings slow
# Inputs kept in a findings directory: the slow ones (1) or the others (0).
kept() { ls "$1" | awk -v slow="$2" '(slow == 1) == /^slow-unit-/ { n++ } END { print n + 0 }'; }
failed=()
for t in "${targets[@]}"; do
    work=$pkg/.build/corpus/$t
    findings=$pkg/.build/findings/$t
    log=$pkg/.build/logs/$t.log
    mkdir -p "$work" "$findings" "$(dirname "$log")"
    args=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30
          -print_final_stats=1 -artifact_prefix="$findings/" "$work" "$pkg/Corpora/$t")
    [ -n "$runs" ] && args=(-runs="$runs" "${args[@]}")
    before=$(kept "$findings" 0)
    slow_before=$(kept "$findings" 1)
    start=$(date +%s%N)
    rc=0
    "$bin/${binary[$t]}" "${args[@]}" >"$log" 2>&1 || rc=$?
    elapsed=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
    [ -z "$execs" ] && execs=$(echo "$last" | sed -E 's/^#([0-9]+).*/\1/')
    cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
    ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
    corpus=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || true)
    # Inputs slower than libFuzzer's -report_slow_units (10 s) are kept and counted apart:
    # a busy machine makes them, and -timeout (30 s) is the check that fails.
    new=$(( $(kept "$findings" 0) - before ))
    slow=$(( $(kept "$findings" 1) - slow_before ))
    printf '%-18s %12s %8s %8s %8s %8s %9s %5s\n' "$t" "${execs:-?}" "$elapsed" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$new" "$slow"
    if [ $rc -ne 0 ] || [ "$new" -gt 0 ]; then
        failed+=("$t")
        grep -E 'ERROR: |SUMMARY: |Fatal error|invariant broken|unexpected error|Test unit written' "$log" | head -n 8 | sed 's/^/    /'
        echo "    (log: $log)"
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in ${failed[*]} (inputs under FuzzTesting/.build/findings/)" >&2
    exit 1
fi
echo "fuzz.sh: no findings"
