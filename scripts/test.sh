#!/usr/bin/env bash
# Runs the whole test suite (installing the system packages first when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# XCTest only: the suite has no Swift Testing tests, whose empty summary would otherwise close the output.
swift test --disable-swift-testing "$@"
