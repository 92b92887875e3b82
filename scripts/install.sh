#!/usr/bin/env bash
# Builds `vgg` for release and installs it as DIR/bin/vgg:
#
#   scripts/install.sh [--prefix DIR] [--binary PATH]
#
# --prefix DIR   where to install (default: $HOME/.local); DIR/bin is created if needed.
# --binary PATH  install an already built vgg instead of building one (no build).
#
# The build is `swift build -c release --static-swift-stdlib` in .build-install (the Swift
# runtime is linked in, so the binary runs without the toolchain on PATH; the C libraries of
# scripts/setup.sh are still needed). The git commit of the checkout (with "-dirty" when
# tracked files are modified) is compiled in for `vgg --version`; without git it says
# "commit unknown".
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="$HOME/.local"
binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --binary) binary=$2; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi

if [ -z "$binary" ]; then
    commit=""
    if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
        commit=$(git rev-parse --short=12 HEAD)
        git diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
    fi
    echo "install.sh: building vgg (release, static Swift runtime${commit:+, commit $commit})"
    swift build -c release --static-swift-stdlib --product vgg --scratch-path .build-install \
        -Xcc "-DVGG_GIT_COMMIT=\"$commit\""
    binary=.build-install/release/vgg
fi
[ -x "$binary" ] || { echo "install.sh: no executable at $binary" >&2; exit 1; }
mkdir -p "$prefix/bin"
install -m 755 "$binary" "$prefix/bin/vgg.tmp.$$"
mv -f "$prefix/bin/vgg.tmp.$$" "$prefix/bin/vgg"
echo "install.sh: installed $prefix/bin/vgg ($("$prefix/bin/vgg" --version))"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "install.sh: $prefix/bin is not on PATH; add it with: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
