#!/usr/bin/env python3
"""Compiles the `cuda` backend's kernels with the real NVRTC (through ctypes): the exact program
the backend compiles (CUDAKernelProgram.text, joined here from the sources by
tools/generate-kernel-launches.py's program_text(), the rule the backend follows at run time and
CUDAKernelProgramTests checks) and each .cu file with the prelude alone, for
every architecture given. Fails on any error or warning, printing NVRTC's log.

    python3 tools/compile-kernels-nvrtc.py LIBNVRTC ARCH...     (ARCH: compute_80, sm_90, ...)
"""
import ctypes
import importlib.util
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
KERNELS = os.path.join(ROOT, "Sources/Backends/CUDA/Kernels")


def generator():
    """tools/generate-kernel-launches.py as a module: FILES and program_text()."""
    spec = importlib.util.spec_from_file_location("generate_kernel_launches", os.path.join(ROOT, "tools/generate-kernel-launches.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compile_one(nvrtc, name, source, arch):
    prog = ctypes.c_void_p()
    rc = nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None)
    if rc != 0:
        return False, "nvrtcCreateProgram failed (%d)" % rc
    # The options the backend gives (Sources/CShims/CCUDA/cuda.c), with every warning asked for.
    options = [b"--gpu-architecture=" + arch.encode(), b"--std=c++17", b"--fmad=false", b"-default-device", b"-Werror=all-warnings"]
    opts = (ctypes.c_char_p * len(options))(*options)
    rc = nvrtc.nvrtcCompileProgram(prog, len(options), opts)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(prog, log)
    nvrtc.nvrtcDestroyProgram(ctypes.byref(prog))
    text = log.value.decode(errors="replace").strip()
    return rc == 0 and text == "", text or ("nvrtcCompileProgram returned %d" % rc)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    nvrtc = ctypes.CDLL(sys.argv[1])
    major, minor = ctypes.c_int(), ctypes.c_int()
    nvrtc.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    prelude = open(os.path.join(KERNELS, "prelude.cuh")).read()
    g = generator()
    units = [("vgg_kernels.cu", g.program_text())]
    for f in g.FILES:
        body = open(os.path.join(KERNELS, f)).read().replace('#include "prelude.cuh"', "", 1)
        units.append((f, prelude + body))
    failures = 0
    for arch in sys.argv[2:]:
        for name, source in units:
            ok, log = compile_one(nvrtc, name, source, arch)
            if not ok:
                failures += 1
                print("nvrtc %d.%d %s %s: FAILED\n%s" % (major.value, minor.value, arch, name, log))
    count = len(units) * len(sys.argv[2:])
    print("nvrtc %d.%d: %d compilations (the backend's program and %d files with the prelude, for %s), %d with errors or warnings"
          % (major.value, minor.value, count, len(units) - 1, ", ".join(sys.argv[2:]), failures))
    sys.exit(1 if failures else 0)


main()
