#!/usr/bin/env bash
# Side-by-side CPU comparison of vgg-swift (`vgg bench`) with PyTorch (issue 6).
#
#   bench/compare_pytorch.sh [--setup] [--no-build] [--threads N] [--reps R]
#                            [--workloads a,b,...] [--results FILE] [--log FILE] [--both-formats]
#   bench/compare_pytorch.sh --layers WORKLOAD [--format contiguous|channels_last] [--reps R]
#
# Runs each workload in PyTorch and in `vgg bench`, interleaved (torch, vgg, torch, vgg, ...)
# for R repetitions (default 3), at the same batch sizes and thread count (default 2), and
# prints one line per workload: PyTorch and vgg-swift img/s (GFLOP/s for the convolution and
# sgemm), their ratio and both peak RSS. The table also goes to bench/RESULTS.md (--results).
# Workloads: cifar_a_train vgg11_infer vgg16_infer vgg11_train conv sgemm
# (see bench/torch_workloads.py). --layers prints a per-layer table (forward, and backward for
# training workloads) of one network workload instead, PyTorch beside vgg-swift (appended to
# the --results file only when --results is given).
#
# Python: .venv-fixtures (made by tools/make_fixtures.sh) is reused when it has torch;
# otherwise .venv-bench. With --setup a missing .venv-bench is created and torch installed the
# way tools/make_fixtures.sh does it (a local CPU-only torch wheel from pip's find-links is
# preferred; BENCH_TORCH forces a requirement; PYTHON picks the interpreter).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

setup=0; build=1; threads=2; reps=""; workloads=""; results="$ROOT/bench/RESULTS.md"; log=""; extra=()
layers=""; format="channels_last"; results_given=0
original_command="bench/compare_pytorch.sh $*"
while [ $# -gt 0 ]; do
    case "$1" in
        --setup) setup=1 ;;
        --no-build) build=0 ;;
        --threads) threads="$2"; shift ;;
        --reps) reps="$2"; shift ;;
        --workloads) workloads="$2"; shift ;;
        --results) results="$2"; results_given=1; shift ;;
        --log) log="$2"; shift ;;
        --both-formats) extra+=(--both-formats) ;;
        --layers) layers="$2"; shift ;;
        --format) format="$2"; shift ;;
        --warmup|--iterations) extra+=("$1" "$2"); shift ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare_pytorch: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

has_torch() { [ -x "$1/bin/python" ] && "$1/bin/python" -c 'import torch' >/dev/null 2>&1; }

VENV=""
for candidate in "$ROOT/.venv-fixtures" "$ROOT/.venv-bench"; do
    if has_torch "$candidate"; then VENV="$candidate"; break; fi
done
if [ -z "$VENV" ]; then
    if [ "$setup" != 1 ]; then
        echo "compare_pytorch: no virtual environment with torch (.venv-fixtures or .venv-bench); run with --setup" >&2
        exit 1
    fi
    VENV="$ROOT/.venv-bench"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "compare_pytorch: creating $VENV" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    torch_requirement="${BENCH_TORCH:-}"
    if [ -z "$torch_requirement" ]; then
        pytag="cp$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
        links="$("$VENV/bin/python" -m pip config get global.find-links 2>/dev/null || true)"
        for dir in $links ${PIP_FIND_LINKS:-} /opt/wheels; do
            dir="${dir#file://}"
            [ -d "$dir" ] || continue
            wheel="$(ls "$dir"/torch-*+cpu-"$pytag"-*.whl 2>/dev/null | sort -V | tail -n 1 || true)"
            if [ -n "$wheel" ]; then torch_requirement="$wheel"; fi
        done
    fi
    torch_requirement="${torch_requirement:-torch}"
    echo "compare_pytorch: installing $torch_requirement into $VENV (this can take a while)" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check "$torch_requirement" numpy
    has_torch "$VENV" || { echo "compare_pytorch: torch still missing in $VENV" >&2; exit 1; }
fi
echo "compare_pytorch: python $VENV/bin/python ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'))" >&2

if [ "$build" = 1 ]; then
    swift build -c release --product vgg
fi
VGG="$(swift build -c release --show-bin-path)/vgg"
[ -x "$VGG" ] || { echo "compare_pytorch: $VGG not built" >&2; exit 1; }

if [ -n "$layers" ]; then
    largs=(layers "$layers" --vgg "$VGG" --threads "$threads" --format "$format" --reps "${reps:-1}"
           --command "$original_command")
    [ "$results_given" = 1 ] && largs+=(--append "$results")
    exec "$VENV/bin/python" "$ROOT/bench/torch_workloads.py" "${largs[@]}" ${extra[@]+"${extra[@]}"}
fi
args=(compare --vgg "$VGG" --threads "$threads" --reps "${reps:-3}" --command "$original_command")
[ -n "$workloads" ] && args+=(--workloads "$workloads")
[ -n "$results" ] && args+=(--results "$results")
[ -n "$log" ] && args+=(--log "$log")
exec "$VENV/bin/python" "$ROOT/bench/torch_workloads.py" "${args[@]}" ${extra[@]+"${extra[@]}"}
