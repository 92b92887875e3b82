#!/usr/bin/env bash
# Regenerates the committed Swift code of the protobuf schemas the TensorBoard and ONNX
# targets use. Run by hand when a schema changes; the build and CI never run it (they depend
# on the SwiftProtobuf runtime library only, never on its code generator).
#
#   tools/generate-protos.sh            # all three steps below
#   EXTRACT=0 tools/generate-protos.sh  # keep tools/protos as it is, only regenerate the Swift
#
# 1. The schemas, kept in tools/protos:
#    - tools/protos/tensorboard/compat/proto/*.proto: event.proto, summary.proto and what they
#      import (histogram, tensor, tensor_shape, types, resource_handle), printed back from the
#      descriptors compiled into the `tensorboard` pip package by
#      tools/extract-tensorboard-protos.py (the package ships *_pb2.py modules, not .proto files);
#    - tools/protos/onnx/onnx.proto: copied from the `onnx` pip package.
# 2. protoc: from the pip package grpcio-tools (`python -m grpc_tools.protoc`), in the tools venv
#    (.venv-tools, made here when missing: pip install tensorboard onnx onnxruntime grpcio-tools pillow).
# 3. The plugin protoc-gen-swift of swift-protobuf 1.39.0 (the version Package.swift names),
#    built outside the repository (about 2 minutes on 2 cores in release mode):
#      git clone /opt/swift-packages/apple/swift-protobuf.git /tmp/protoc-gen-swift/src   # or GitHub's
#      git -C /tmp/protoc-gen-swift/src checkout 1.39.0
#      (cd /tmp/protoc-gen-swift/src && swift build -c release --product protoc-gen-swift)
#    PROTOC_GEN_SWIFT names another build of it.
#
# The code is generated with public visibility, into Sources/Formats/TensorBoard/Generated and
# Sources/Formats/ONNX/Generated, one .pb.swift file per schema.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv-tools}
plugin=${PROTOC_GEN_SWIFT:-/tmp/protoc-gen-swift/src/.build/release/protoc-gen-swift}

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q tensorboard onnx onnxruntime grpcio-tools
fi
if [ ! -x "$plugin" ]; then
    mkdir -p /tmp/protoc-gen-swift
    [ -d /tmp/protoc-gen-swift/src ] || git clone -q /opt/swift-packages/apple/swift-protobuf.git /tmp/protoc-gen-swift/src
    git -C /tmp/protoc-gen-swift/src checkout -q 1.39.0
    (cd /tmp/protoc-gen-swift/src && swift build -c release --product protoc-gen-swift)
    plugin=/tmp/protoc-gen-swift/src/.build/release/protoc-gen-swift
fi

protos=$root/tools/protos
if [ "${EXTRACT:-1}" = 1 ]; then
    rm -rf "$protos/tensorboard"
    "$venv/bin/python" "$root/tools/extract-tensorboard-protos.py" "$protos"
    mkdir -p "$protos/onnx"
    cp "$("$venv/bin/python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')/onnx.proto" "$protos/onnx/onnx.proto"
fi

generate() {  # OUTDIR PROTO...
    local out=$1; shift
    rm -rf "$out"; mkdir -p "$out"
    (cd "$protos" && "$venv/bin/python" -m grpc_tools.protoc --plugin=protoc-gen-swift="$plugin" -I . \
        --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath --swift_out="$out" "$@")
}
cd "$protos"
generate "$root/Sources/Formats/TensorBoard/Generated" tensorboard/compat/proto/*.proto
generate "$root/Sources/Formats/ONNX/Generated" onnx/onnx.proto
ls "$root/Sources/Formats/TensorBoard/Generated" "$root/Sources/Formats/ONNX/Generated"
