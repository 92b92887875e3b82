#!/usr/bin/env bash
# Runs tools/make_tensorboard_fixture.py with PyTorch (PYTHON, default the fixtures venv
# .venv-fixtures of tools/make_fixtures.sh) and the tensorboard package of the tools venv
# (.venv-tools, see tools/generate-protos.sh), which torch.utils.tensorboard imports: only
# tensorboard and what it needs (protobuf, absl, Pillow for images) are put on the path, so
# PyTorch keeps its own numpy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv-fixtures/bin/python}
site=$("$root/.venv-tools/bin/python" -c 'import site; print(site.getsitepackages()[0])')
path=$(mktemp -d)
trap 'rm -rf "$path"' EXIT
for m in tensorboard google absl PIL; do ln -s "$site/$m" "$path/$m"; done
cd "$root" && PYTHONPATH=$path "$python" tools/make_tensorboard_fixture.py "$@"
