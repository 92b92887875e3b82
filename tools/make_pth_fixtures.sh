#!/usr/bin/env bash
# Regenerates the PyTorch .pth fixtures (tools/make_pth_fixtures.py) with the
# .venv-fixtures virtual environment of tools/make_fixtures.sh, creating it through that script
# when it is missing (its own fixtures are not rewritten: it is only asked for --help).
# Extra arguments go to the Python script, e.g. --full-check .build/release/vgg.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-fixtures"

if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import torch, safetensors' >/dev/null 2>&1; }; then
    "$ROOT/tools/make_fixtures.sh" --help >/dev/null
fi

exec "$VENV/bin/python" "$ROOT/tools/make_pth_fixtures.py" "$@"
