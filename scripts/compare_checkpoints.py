#!/usr/bin/env python3
"""Compares the tensors of two vgg-swift checkpoints (safetensors files), Python's standard
library only.

    scripts/compare_checkpoints.py A B [--tolerance T] [--weights-only] [--identical]

Prints the largest difference of each tensor relative to its largest magnitude (at least
1e-3, as the golden tests do: a conv bias feeding a BatchNorm has an exactly zero true
gradient and holds only rounding noise) and exits 1 when one exceeds T (default 1e-5), or,
with --identical, when any byte differs. --weights-only leaves out the momentum buffers.
"""
import argparse, json, struct, sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        raw = data[base + b: base + end]
        if e["dtype"] == "F32":
            out[name] = (struct.unpack(f"<{len(raw) // 4}f", raw), raw)
        elif e["dtype"] == "I64":
            out[name] = (struct.unpack(f"<{len(raw) // 8}q", raw), raw)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--identical", action="store_true")
    ap.add_argument("--weights-only", action="store_true")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    if set(a) != set(b):
        print(f"different tensors: {sorted(set(a) ^ set(b))}")
        return 1
    worst, worst_name, bad = 0.0, "", []
    names = [n for n in sorted(a) if not (args.weights_only and n.startswith("momentum."))]
    for name in names:
        (x, x_bytes), (y, y_bytes) = a[name], b[name]
        if len(x) != len(y):
            bad.append(f"{name}: {len(x)} against {len(y)} values")
            continue
        if args.identical:
            # The bytes: as numbers, -0.0 would equal 0.0 and a NaN differ from itself.
            if x_bytes != y_bytes:
                bad.append(f"{name}: not identical")
            continue
        scale = max(max((abs(v) for v in y), default=0.0), 1e-3)
        diff = max((abs(u - v) for u, v in zip(x, y)), default=0.0) / scale
        if diff > worst:
            worst, worst_name = diff, name
        if diff > args.tolerance:
            bad.append(f"{name}: relative difference {diff:.3g}")
    for line in bad:
        print(line)
    if args.identical:
        print(f"{len(names)} tensors compared: " + (f"{len(bad)} not identical" if bad else "identical"))
    else:
        print(f"{len(names)} tensors compared: largest relative difference {worst:.3g} ({worst_name})"
              + (f"; {len(bad)} beyond the tolerance" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
