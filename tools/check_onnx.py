#!/usr/bin/env python3
"""Checks `vgg export --format onnx` against vgg itself, with onnx.checker and onnxruntime.

For each configuration (A, A-LRN, C, D-BN, and A with the adaptive pooling as a pooling
matrix, as a global pool and, at 128 pixels, as an AveragePool), on random weights (He's fan-in initialisation, whose logits depend on the input where
torchvision's N(0, 0.01) classifier leaves them near 1e-4; a run of 1 step at learning rate 0) and on
trained ones (80 steps of 32 images of Fashion-MNIST at lr 0.01): trains a tiny model with `vgg train`, exports it
as ONNX and as a torchvision state_dict, runs `vgg infer` on random normalised inputs, runs the
ONNX model with onnxruntime on the same inputs (batches of 8 and 1: the batch dimension is
free), and compares the logits: max |onnx - vgg| / max |vgg| must stay under 1e-4. Also checks
the opset, the op types, the metadata and that onnx.checker accepts the model.

    .venv-tools/bin/python tools/check_onnx.py [--vgg .build/debug/vgg] [--data /usr/share/datasets/fashion-mnist]

Not run by the tests (they need no Python); needs the tools venv (tools/generate-protos.sh).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

CONFIGS = [
    ("A", ["--arch", "A"], []),
    ("A-LRN", ["--arch", "A-LRN"], []),
    ("C", ["--arch", "C"], []),
    ("D-BN", ["--arch", "D", "--batch-norm"], ["--batch-norm"]),
    ("A, adaptive pool 7 (matrix)", ["--arch", "A", "--adaptive-pool", "7"], ["--adaptive-pool", "7"]),
    ("A-BN, adaptive pool 1 (global)", ["--arch", "A", "--batch-norm", "--adaptive-pool", "1"], ["--batch-norm", "--adaptive-pool", "1"]),
    # 128-pixel inputs: a 4×4 final map pooled to 2×2, an AveragePool as torchvision exports it.
    ("A-BN 128 px, adaptive pool 2 (avg)", ["--arch", "A", "--batch-norm", "--adaptive-pool", "2", "--pad", "0", "--scale", "128"],
     ["--batch-norm", "--adaptive-pool", "2"]),
]
WEIGHTS = [("random", ["--max-steps", "1", "--lr", "0"]), ("trained", ["--max-steps", "80", "--lr", "0.01"])]


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").reshape(t["shape"])
    return out


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vgg", default=".build/debug/vgg")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.add_argument("--only", help="check only the configurations whose name contains this")
    args = p.parse_args()
    worst, rows = 0.0, []
    with tempfile.TemporaryDirectory() as d:
        for name, train_args, infer_args in CONFIGS:
            if args.only and args.only not in name:
                continue
            for kind, weight_args in WEIGHTS:
                out = f"{d}/{len(rows)}"
                run([args.vgg, "train", *train_args, "--width", "8", "--classifier-width", "64", "--data", args.data,
                     "--limit-train", "2560", "--limit-test", "64", "--batch-size", "32", "--epochs", "1", "--seed", "1",
                     "--init", "he", "--no-tensorboard", "--out", out, *weight_args])
                ckpt = f"{out}/last.ckpt"
                run([args.vgg, "export", "--checkpoint", ckpt, "--out", f"{out}/w.safetensors"])
                run([args.vgg, "export", "--checkpoint", ckpt, "--format", "onnx", "--out", f"{out}/model.onnx"])
                model = onnx.load(f"{out}/model.onnx")
                size = [int(v) for v in {p.key: p.value for p in model.metadata_props}["input_size"].split(",")]
                x = np.random.default_rng(0).standard_normal([8] + size).astype(np.float32)
                write_safetensors(f"{out}/input.safetensors", {"input": x})
                run([args.vgg, "infer", "--arch", train_args[1], *infer_args, "--weights", f"{out}/w.safetensors",
                     "--input", f"{out}/input.safetensors", "--out", f"{out}/logits.safetensors"])
                expected = read_safetensors(f"{out}/logits.safetensors")["logits"]

                onnx.checker.check_model(model, full_check=True)
                assert model.opset_import[0].version >= 17, model.opset_import
                meta = {p.key: p.value for p in model.metadata_props}
                assert {"mean", "std", "input_size", "class_names"} <= meta.keys(), meta.keys()
                assert meta["input_size"] in ("1,32,32", "1,128,128"), meta["input_size"]
                assert len(json.loads(meta["class_names"])) == 10
                ops = sorted({n.op_type for n in model.graph.node})
                session = ort.InferenceSession(f"{out}/model.onnx", providers=["CPUExecutionProvider"])
                got = session.run(None, {"input": x})[0]
                one = session.run(None, {"input": x[:1]})[0]
                scale = float(np.abs(expected).max())
                # How much the logits depend on the input (not only on the last biases).
                spread = float(np.abs(expected - expected.mean(axis=0)).max())
                diff = float(np.abs(got - expected).max())
                rel, rel1 = diff / scale, float(np.abs(one - expected[:1]).max()) / scale
                worst = max(worst, rel, rel1)
                rows.append((name, kind, rel, rel1, scale, " ".join(ops)))
                print(f"{name:32s} {kind:8s} max rel diff {rel:.2e} (batch 1: {rel1:.2e}), max |logit| {scale:.3g}, "
                      f"input-dependent spread {spread:.3g} (diff / spread {diff / spread:.2e}); ops {' '.join(ops)}", flush=True)
    verdict = "ok" if worst <= args.tolerance else "FAILED"
    print(f"{verdict}: worst max |onnxruntime - vgg| / max |vgg| = {worst:.2e} over {len(rows)} models "
          f"(onnxruntime {ort.__version__}, onnx {onnx.__version__})")
    sys.exit(0 if verdict == "ok" else 1)


if __name__ == "__main__":
    main()
