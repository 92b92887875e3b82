#!/usr/bin/env python3
"""Projects data-parallel VGG-16 training to many nodes with the ring all-reduce cost model
(2(p-1)·α + 2(p-1)/p · S/B per all-reduce of S bytes over p nodes, link bandwidth B, latency α),
driven by a measured training step: per-layer forward/backward times from `vgg bench --json`.

Backward is replayed layer by layer in reverse; gradients are grouped into contiguous buckets
of about --bucket-mb in the order backward produces them (as `vgg train` does); each bucket's
all-reduce starts when its last layer's backward ends and the link serves buckets one at a
time. The step's exposed communication is what is still running when backward ends. Without
overlap, one all-reduce of all gradients follows backward.

    bench/projection.py bench/data/vgg16-train-2cores.json [--step-ms 198 --label "..."]

--step-ms rescales every layer's time to another node's step (e.g. a GPU node measured
elsewhere), keeping this machine's split between layers: an assumption, said in the output.
"""
import argparse, json

LINKS = [("25 GbE", 25e9 / 8, 20e-6), ("100 GbE", 100e9 / 8, 10e-6), ("InfiniBand HDR 200", 200e9 / 8, 2e-6)]
NODES = [8, 32, 128]

def layer_parameters(layers):
    """Parameter count per layer of VGG at 224×224 (conv 3×3 with bias, FC with bias)."""
    counts, channels, flat = [], 3, None
    for l in layers:
        k, out = l["kind"], l["output"]
        if k.startswith("conv3-"):
            c = out[0]; counts.append(9 * channels * c + c); channels = c
        elif k.startswith("FC-"):
            n = out[0]; counts.append(flat * n + n); flat = n
        else:
            if k == "flatten": flat = out[0]
            counts.append(0)
    return counts

def ring(bytes_, p, bandwidth, latency):
    return 2 * (p - 1) * latency + 2 * (p - 1) / p * bytes_ / bandwidth

def simulate(layers, counts, scale, p, bandwidth, latency, bucket_bytes, bytes_per_value, overlap):
    fwd = sum(l["fwd_ms"] for l in layers) * scale / 1e3
    t, link_free, ready = 0.0, 0.0, []
    pending = 0
    for l, n in zip(reversed(layers), reversed(counts)):
        t += l["bwd_ms"] * scale / 1e3
        pending += n * bytes_per_value
        if pending >= bucket_bytes:
            ready.append((t, pending)); pending = 0
    if pending: ready.append((t, pending))
    backward = t
    if not overlap:
        total = sum(b for _, b in ready)
        return fwd, backward, ring(total, p, bandwidth, latency)
    for at, b in ready:
        link_free = max(link_free, at) + ring(b, p, bandwidth, latency)
    return fwd, backward, max(0.0, link_free - backward)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench_json")
    ap.add_argument("--step-ms", type=float, help="rescale to a node whose measured step is this long")
    ap.add_argument("--label", default=None)
    ap.add_argument("--bucket-mb", type=float, default=25)
    a = ap.parse_args()
    d = json.load(open(a.bench_json))
    layers = d["layers"]
    counts = layer_parameters(layers)
    total_params = sum(counts)
    measured = d["train_step_ms"] / 1e3
    scale = 1.0 if a.step_ms is None else (a.step_ms / 1e3) / measured
    step = measured * scale
    label = a.label or f"this machine ({d['settings']}), batch {d['batch']} per node"
    print(f"VGG-16: {total_params:,} parameters, {total_params * 4 / 1e6:.1f} MB of float32 gradients; "
          f"node: {label}; step {step * 1e3:.0f} ms"
          + ("" if a.step_ms is None else " (this machine's per-layer split rescaled to it)"))
    print(f"{'link':20} {'nodes':>5} | {'no overlap':>10} {'overlap':>8} {'overlap+bf16':>12} | exposed ms (no overlap / overlap / bf16)")
    for name, bandwidth, latency in LINKS:
        for p in NODES:
            effs, exps = [], []
            for overlap, bpv in ((False, 4), (True, 4), (True, 2)):
                fwd, bwd, exposed = simulate(layers, counts, scale, p, bandwidth, latency, a.bucket_mb * 2**20, bpv, overlap)
                effs.append(step / (step + exposed)); exps.append(exposed * 1e3)
            print(f"{name:20} {p:5d} | {effs[0]:10.0%} {effs[1]:8.0%} {effs[2]:12.0%} | {exps[0]:.0f} / {exps[1]:.0f} / {exps[2]:.0f}")

if __name__ == "__main__":
    main()
