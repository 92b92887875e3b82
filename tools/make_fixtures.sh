#!/usr/bin/env bash
# Regenerates the PyTorch reference fixtures (see tools/FIXTURES.md).
#
# Creates the virtual environment .venv-fixtures in the repository root (ignored by git) with
# torch, safetensors and numpy (and torchvision, see below) when it is missing or incomplete, then
# runs tools/make_fixtures.py. Only PyPI is needed.
#
# A CPU-only torch wheel found in pip's configured find-links directories is preferred: about
# 1 GB installed instead of about 5.5 GB for the default PyPI wheel with its CUDA libraries. PyPI's
# torchvision wheels link against the CUDA build of libtorch and cannot load next to a "+cpu"
# torch, so torchvision is installed only with the default PyPI torch; make_fixtures.py does not
# need it (it uses it, when importable, only to cross-check parameter names).
# FIXTURES_TORCH forces a torch requirement (e.g. FIXTURES_TORCH='torch==2.15.0', which brings
# torchvision too); PYTHON picks the interpreter (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-fixtures"
PYTHON="${PYTHON:-python3}"

have_packages() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import torch, safetensors, numpy' >/dev/null 2>&1
}

if ! have_packages; then
    if [ ! -x "$VENV/bin/python" ]; then
        echo "make_fixtures: creating $VENV" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    torch_requirement="${FIXTURES_TORCH:-}"
    if [ -z "$torch_requirement" ]; then
        pytag="cp$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
        links="$("$VENV/bin/python" -m pip config get global.find-links 2>/dev/null || true)"
        for dir in $links; do
            dir="${dir#file://}"
            [ -d "$dir" ] || continue
            wheel="$(ls "$dir"/torch-*+cpu-"$pytag"-*.whl 2>/dev/null | sort -V | tail -n 1 || true)"
            if [ -n "$wheel" ]; then torch_requirement="$wheel"; fi
        done
    fi
    packages=(safetensors numpy)
    case "$torch_requirement" in
        *+cpu*) ;;                                  # PyPI's torchvision needs the CUDA libtorch
        *) packages+=(torchvision) ;;
    esac
    torch_requirement="${torch_requirement:-torch}"
    echo "make_fixtures: installing $torch_requirement ${packages[*]} into $VENV (this can take a while)" >&2
    "$VENV/bin/python" -m pip install --disable-pip-version-check "$torch_requirement" "${packages[@]}"
    have_packages || { echo "make_fixtures: torch, safetensors or numpy still missing in $VENV" >&2; exit 1; }
fi

exec "$VENV/bin/python" "$ROOT/tools/make_fixtures.py" "$@"
