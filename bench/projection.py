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

--fit FILE (written by `bench/hosts_tables.py RAW --fit-json FILE` from bench/hosts.sh's
measurements) replaces the ideal link by the fitted one: each all-reduce costs a fixed
`call_s` more, the link delivers the fraction `eta` of its line rate (--eta overrides it), and it
is also limited by the node's own rate H (copies, sums, conversions and the TCP stack: H =
host_Bps for float32, host_bf16_Bps for bfloat16; --host-gbs G sets both, 0 leaves it out, for a
node unlike this one), the slower of the two setting the pace:
t = call_s + 2(p-1)·α + 2(p-1)/p · S · max(1/(eta·B), 1/H).
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

MODEL = {"call_s": 0.0, "eta": 1.0, "host_Bps": float("inf"), "host_bf16_Bps": float("inf")}

def ring(bytes_, p, bandwidth, latency, bytes_per_value=4):
    host = MODEL["host_Bps"] if bytes_per_value == 4 else MODEL["host_bf16_Bps"]
    per_byte = max(1 / (MODEL["eta"] * bandwidth), 1 / host)
    return MODEL["call_s"] + 2 * (p - 1) * latency + 2 * (p - 1) / p * bytes_ * per_byte

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
        return fwd, backward, ring(total, p, bandwidth, latency, bytes_per_value)
    for at, b in ready:
        link_free = max(link_free, at) + ring(b, p, bandwidth, latency, bytes_per_value)
    return fwd, backward, max(0.0, link_free - backward)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bench_json")
    ap.add_argument("--step-ms", type=float, help="rescale to a node whose measured step is this long")
    ap.add_argument("--label", default=None)
    ap.add_argument("--bucket-mb", type=float, default=25)
    ap.add_argument("--fit", help="the fitted link model of bench/hosts_tables.py --fit-json")
    ap.add_argument("--eta", type=float, help="the fraction of line rate the all-reduce reaches (default: the fit's)")
    ap.add_argument("--host-gbs", type=float, help="the node's own GB/s per byte exchanged (0: free; default: the fit's)")
    a = ap.parse_args()
    if a.fit:
        m = json.load(open(a.fit))["model"]
        MODEL.update(call_s=m["call_s"], eta=m["eta"], host_Bps=m["host_Bps"], host_bf16_Bps=m["host_bf16_Bps"])
    if a.eta is not None:
        MODEL["eta"] = a.eta
    if a.host_gbs is not None:
        MODEL["host_Bps"] = MODEL["host_bf16_Bps"] = float("inf") if a.host_gbs == 0 else a.host_gbs * 1e9
    if a.fit or a.host_gbs is not None or a.eta is not None:
        print(f"link model: {MODEL['call_s'] * 1e3:.1f} ms per all-reduce, {MODEL['eta']:.0%} of line rate, "
              f"node {MODEL['host_Bps'] / 1e9:.2f} GB/s (float32), {MODEL['host_bf16_Bps'] / 1e9:.2f} GB/s (bfloat16) per byte exchanged")
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
