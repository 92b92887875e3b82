#!/usr/bin/env bash
# Installs what vgg-swift needs on a fresh Debian machine with the Swift toolchain:
# the C libraries (oneDNN, OpenBLAS, libjpeg-turbo, libpng, zlib, cairo and the DejaVu fonts of
# the plots), Open MPI (loaded at run
# time, only by `mpirun -np N vgg ...`) and the Fashion-MNIST
# data set. Idempotent: does nothing when everything is present.
set -euo pipefail
packages=(libdnnl-dev libopenblas-dev libturbojpeg0-dev libpng-dev zlib1g-dev libcairo2-dev fonts-dejavu-core pkg-config libopenmpi-dev openmpi-bin dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; else echo "setup: swift not found" >&2; exit 1; fi
fi
