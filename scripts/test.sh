#!/usr/bin/env bash
# Runs the whole test suite (installing the system packages first when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test "$@"
