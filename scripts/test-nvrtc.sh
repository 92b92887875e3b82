#!/usr/bin/env bash
# The `cuda` backend's kernels without a GPU: checks that the generated kernel program
# (Sources/Backends/CUDA/CUDAKernelProgram.generated.swift) is current with the .cu sources, then
# compiles it, and each .cu file with the prelude alone, with the real NVRTC of PyPI's
# nvidia-cuda-nvrtc wheel (installed once into .build/nvrtc) for sm_80 and sm_90, failing on any
# error or warning. Skipped, saying why, only where the wheel cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 tools/generate-kernel-launches.py --check
site=.build/nvrtc/site
library=$(find "$site" -name 'libnvrtc.so.*' -print -quit 2>/dev/null || true)
if [ -z "$library" ]; then
    mkdir -p .build/nvrtc
    if ! python3 -m pip install --quiet --disable-pip-version-check --target "$site" nvidia-cuda-nvrtc >.build/nvrtc/pip.log 2>&1; then
        echo "test-nvrtc: SKIPPED: the nvidia-cuda-nvrtc wheel could not be installed:"
        tail -n 5 .build/nvrtc/pip.log
        exit 0
    fi
    library=$(find "$site" -name 'libnvrtc.so.*' -print -quit)
fi
echo "test-nvrtc: $(basename "$(ls -d "$site"/nvidia_cuda_nvrtc-*.dist-info)" .dist-info) ($library)"
python3 tools/compile-kernels-nvrtc.py "$library" sm_80 sm_90
