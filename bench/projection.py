#!/usr/bin/env python3
"""Projects data-parallel VGG-16 training to many nodes with the ring all-reduce cost model
(latency + 2(p-1)/p · S/B per all-reduce of S bytes over p nodes, link bandwidth B; latency below),
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
t = call_s + latency + 2(p-1)/p · S · max(1/(eta·B), 1/H).

The latency term. Each link has a one-way latency L (NIC, switch and stack, node to node:
25 GbE 20 µs, 100 GbE 10 µs, InfiniBand HDR 200 2 µs; assumed, not measured). Without
--latency-fit, as before: latency = 2(p-1)·L, one L per ring step (the "assumed" columns).
--latency-fit FILE (written by `bench/latency_tables.py RAW --fit-json FILE` from bench/hosts.sh
LATENCY=… runs; its `latency_model`) replaces it by the measured count: latency = m(S, p) · L,
m the number of one-way latencies one all-reduce of S bytes over p nodes waited for on the
delay line, fitted per measured size as m = k · f(p) with f = log2 p or 2(p-1), the form that
fitted better (--latency-form log2|ring forces one for every size), over the sizes the fit marks
`resolved` (the latency above the measuring machine's noise; the others are left out). Between
those sizes m is interpolated in log S; above the largest, its m is used (an assumption: not
resolved beyond it). With --latency-fit both are printed, the fitted columns first, the assumed
ones beside them, and each row's latency of one 25 MiB (--bucket-mb) float32 all-reduce both ways:

    bench/projection.py bench/data/vgg16-train-2cores.json --fit bench/data/hosts-2026-12-07/fit.json \\
      --latency-fit bench/data/hosts-latency8-2026-12-07/fit.json [--host-gbs 0 --step-ms 198]
"""
import argparse, json, math

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

FORMS = {"log2": math.log2, "ring": lambda p: 2 * (p - 1)}

def load_latency_model(path, force=None):
    """The measured latency counts of latency_tables.py's latency_model: [(bytes, form, k)], sorted."""
    entries = json.load(open(path)).get("latency_model")
    if not entries:
        raise SystemExit(f"projection.py: {path} has no latency_model (bench/latency_tables.py --fit-json writes it)")
    if not any(e.get("resolved", True) for e in entries):
        raise SystemExit(f"projection.py: no size in {path}'s latency_model is resolved above the noise")
    model = []
    for e in entries:
        if not e.get("resolved", True): continue
        form = force or e["form"]
        model.append((e["mib"] * 2**20, form, e[form]["k"]))
    return sorted(model)

def latency_count(bytes_, p, model):
    """One-way latencies one all-reduce of bytes_ over p nodes waits for: measured (interpolated in
    log S between the measured sizes, the nearest one's outside them) or, with model None, the
    ring's 2(p-1)."""
    if model is None:
        return 2 * (p - 1)
    ms = [(b, k * FORMS[form](p)) for b, form, k in model]
    if bytes_ <= ms[0][0]: return max(0.0, ms[0][1])
    if bytes_ >= ms[-1][0]: return max(0.0, ms[-1][1])
    for (b0, m0), (b1, m1) in zip(ms, ms[1:]):
        if b0 <= bytes_ <= b1:
            w = math.log(bytes_ / b0) / math.log(b1 / b0)
            return max(0.0, m0 + w * (m1 - m0))

def ring(bytes_, p, bandwidth, latency, latency_model, bytes_per_value=4):
    host = MODEL["host_Bps"] if bytes_per_value == 4 else MODEL["host_bf16_Bps"]
    per_byte = max(1 / (MODEL["eta"] * bandwidth), 1 / host)
    return MODEL["call_s"] + latency_count(bytes_, p, latency_model) * latency + 2 * (p - 1) / p * bytes_ * per_byte

def simulate(layers, counts, scale, p, bandwidth, latency, latency_model, bucket_bytes, bytes_per_value, overlap):
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
        return fwd, backward, ring(total, p, bandwidth, latency, latency_model, bytes_per_value)
    for at, b in ready:
        link_free = max(link_free, at) + ring(b, p, bandwidth, latency, latency_model, bytes_per_value)
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
    ap.add_argument("--latency-fit", help="the measured latency counts of bench/latency_tables.py --fit-json (its latency_model)")
    ap.add_argument("--latency-form", choices=sorted(FORMS), help="with --latency-fit: this growth with p for every size")
    a = ap.parse_args()
    if a.latency_form and not a.latency_fit:
        ap.error("--latency-form needs --latency-fit")
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
    if a.latency_fit:
        fitted = load_latency_model(a.latency_fit, a.latency_form)
        print("latency: fitted, m(S, p) one-way latencies per all-reduce: "
              + "; ".join(f"{b / 2**20:g} MiB {k:.2f} × " + ("log2 p" if form == "log2" else "2(p-1)") for b, form, k in fitted)
              + "; assumed: 2(p-1), one per ring step; one-way latency L per link: "
              + ", ".join(f"{name} {lat * 1e6:g} µs" for name, _, lat in LINKS))
    else:
        fitted = None
        print("latency: assumed, 2(p-1) one-way latencies per all-reduce (one per ring step); L per link: "
              + ", ".join(f"{name} {lat * 1e6:g} µs" for name, _, lat in LINKS))
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
    def row(p, bandwidth, latency, latency_model):
        effs, exps = [], []
        for overlap, bpv in ((False, 4), (True, 4), (True, 2)):
            fwd, bwd, exposed = simulate(layers, counts, scale, p, bandwidth, latency, latency_model, a.bucket_mb * 2**20, bpv, overlap)
            effs.append(step / (step + exposed)); exps.append(exposed * 1e3)
        return effs, exps
    bucket = a.bucket_mb * 2**20
    if fitted:
        print(f"{'link':20} {'nodes':>5} | {'fitted latency: no overlap / overlap / +bf16':>44} | {'assumed 2(p-1)·L':>16} | "
              f"latency of one {a.bucket_mb:g} MiB all-reduce ms, fitted / assumed | exposed ms fitted (no overlap / overlap / bf16)")
    else:
        print(f"{'link':20} {'nodes':>5} | {'no overlap':>10} {'overlap':>8} {'overlap+bf16':>12} | exposed ms (no overlap / overlap / bf16)")
    for name, bandwidth, latency in LINKS:
        for p in NODES:
            effs, exps = row(p, bandwidth, latency, fitted)
            if not fitted:
                print(f"{name:20} {p:5d} | {effs[0]:10.0%} {effs[1]:8.0%} {effs[2]:12.0%} | {exps[0]:.0f} / {exps[1]:.0f} / {exps[2]:.0f}")
                continue
            old, _ = row(p, bandwidth, latency, None)
            lat_fit, lat_old = (latency_count(bucket, p, m) * latency * 1e3 for m in (fitted, None))
            cells = " / ".join(f"{e:.0%}" for e in effs); olds = " / ".join(f"{e:.0%}" for e in old)
            print(f"{name:20} {p:5d} | {cells:>44} | {olds:>16} | {lat_fit:8.2f} / {lat_old:.2f} | {exps[0]:.0f} / {exps[1]:.0f} / {exps[2]:.0f}")

if __name__ == "__main__":
    main()
