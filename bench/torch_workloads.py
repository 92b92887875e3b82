#!/usr/bin/env python3
"""PyTorch side of the vgg-swift vs PyTorch comparison (issue 6), and the comparison driver.

Two uses:

  torch_workloads.py run WORKLOAD [--format contiguous|channels_last] [--threads N]
                         [--iterations I] [--warmup W]
      Runs one workload in PyTorch in this process and prints human-readable lines plus one
      JSON object (last line), including this process's peak RSS (getrusage ru_maxrss).

  torch_workloads.py compare --vgg PATH [--threads N] [--reps R] [--workloads a,b,...]
                         [--results FILE] [--log FILE]
      For R repetitions, runs every workload in PyTorch and in `vgg bench`, interleaved
      (torch, vgg, torch, vgg, ...), each in its own process, and prints one line per
      workload: medians over the repetitions of each process's median iteration.
      In the first repetition PyTorch runs both memory formats (contiguous and channels_last);
      later repetitions use the faster one (the convolution workload always runs both).

Timing on both sides: untimed warm-up iterations, then timed iterations, each timed on its
own; the median iteration is the process's result. Inputs are random. Models follow
torchvision's VGG (features from the cfg lists, AdaptiveAvgPool2d((7, 7)), classifier
25088-4096-4096-1000 with ReLU and Dropout) and its weight initialisation; torchvision
itself is not needed.
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time

CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}

# name -> description, kind, batch, timing defaults, and the `vgg bench` arguments.
WORKLOADS = {
    "cifar_a_train": dict(
        desc="(1) CIFAR-style A 1x32x32, 10 classes, SGD step, batch 128", kind="train", batch=128,
        warmup=3, iterations=8,
        vgg=["--arch", "A", "--input", "1x32x32", "--classes", "10", "--batch-size", "128", "--skip-inference"]),
    "vgg11_infer": dict(
        desc="(2) torchvision vgg11 224x224 inference, batch 8", kind="infer", batch=8,
        warmup=2, iterations=5,
        vgg=["--arch", "A", "--input", "3x224x224", "--classes", "1000", "--adaptive-pool", "7",
             "--batch-size", "8", "--skip-training"]),
    "vgg16_infer": dict(
        desc="(3) torchvision vgg16 224x224 inference, batch 8", kind="infer", batch=8,
        warmup=2, iterations=5,
        vgg=["--arch", "D", "--input", "3x224x224", "--classes", "1000", "--adaptive-pool", "7",
             "--batch-size", "8", "--skip-training"]),
    "vgg11_train": dict(
        desc="(4) torchvision vgg11 224x224 SGD step, batch 8", kind="train", batch=8,
        warmup=2, iterations=5,
        vgg=["--arch", "A", "--input", "3x224x224", "--classes", "1000", "--adaptive-pool", "7",
             "--batch-size", "8", "--skip-inference"]),
    "conv": dict(
        desc="(5) Conv2d 128->128 3x3 pad 1, 16x16, N=64", kind="conv", batch=64,
        warmup=5, iterations=20,
        vgg=["--conv", "128,128,16", "--batch-size", "64"]),
    "sgemm": dict(
        desc="sgemm 1024^3 (torch.mm / MKL vs OpenBLAS)", kind="sgemm", batch=0,
        warmup=5, iterations=20,
        vgg=["--sgemm", "1024"]),
}
DEFAULT_WORKLOADS = ["cifar_a_train", "vgg11_infer", "vgg16_infer", "vgg11_train", "conv", "sgemm"]


# --------------------------------------------------------------------------- PyTorch side
def build_model(cfg, in_ch, num_classes, imagenet):
    import torch.nn as nn

    class VGG(nn.Module):
        def __init__(self):
            super().__init__()
            layers, c = [], in_ch
            for v in CFGS[cfg]:
                if v == "M":
                    layers.append(nn.MaxPool2d(2, 2))
                else:
                    layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                    c = v
            self.features = nn.Sequential(*layers)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7)) if imagenet else nn.Identity()
            flat = 512 * 7 * 7 if imagenet else 512
            self.classifier = nn.Sequential(
                nn.Linear(flat, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, num_classes))
            for m in self.modules():  # torchvision's VGG._initialize_weights
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            import torch
            x = self.avgpool(self.features(x))
            return self.classifier(torch.flatten(x, 1))

    return VGG()


def flops_per_image(cfg, in_ch, hw, num_classes, imagenet):
    f, c, h = 0, in_ch, hw
    for v in CFGS[cfg]:
        if v == "M":
            h //= 2
        else:
            f += 2 * c * v * 9 * h * h
            c = v
    flat = 512 * 49 if imagenet else 512 * h * h
    return f + 2 * (flat * 4096 + 4096 * 4096 + 4096 * num_classes)


def timeit(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run_torch(name, fmt, threads, warmup, iters):
    import torch
    import torch.nn as nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    w = WORKLOADS[name]
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    import re
    m = re.search(r"(?:MKL-DNN|oneDNN) v([0-9.]+)", torch.__config__.show())
    onednn = m.group(1) if m else "?"
    rec = dict(side="torch", workload=name, format=fmt, threads=torch.get_num_threads(),
               torch=torch.__version__, onednn=onednn, cpu_capability=torch.backends.cpu.get_cpu_capability(),
               warmup=warmup, iterations=iters)

    if w["kind"] in ("train", "infer"):
        imagenet = name.startswith("vgg")
        cfg = "D" if name.startswith("vgg16") else "A"
        in_ch, hw, classes = (3, 224, 1000) if imagenet else (1, 32, 10)
        bs = w["batch"]
        model = build_model(cfg, in_ch, classes, imagenet).to(memory_format=mf)
        x = torch.randn(bs, in_ch, hw, hw).contiguous(memory_format=mf)
        gf = flops_per_image(cfg, in_ch, hw, classes, imagenet) / 1e9
        if w["kind"] == "train":
            y = torch.randint(0, classes, (bs,))
            crit = nn.CrossEntropyLoss()
            opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
            model.train()

            def step():
                opt.zero_grad(set_to_none=True)
                crit(model(x), y).backward()
                opt.step()
            ts = timeit(step, warmup, iters)
            med = statistics.median(ts)
            rec.update(img_s=bs / med, step_ms=med * 1e3, gflops=3 * gf * bs / med, times_ms=[t * 1e3 for t in ts])
        else:
            model.eval()

            def infer():
                with torch.no_grad():
                    model(x)
            ts = timeit(infer, warmup, iters)
            med = statistics.median(ts)
            rec.update(img_s=bs / med, batch_ms=med * 1e3, gflops=gf * bs / med, times_ms=[t * 1e3 for t in ts])
        rec["batch"] = bs
        print(f"{name} [{fmt}] {rec['img_s']:.2f} img/s (median {med * 1e3:.1f} ms, {rec['gflops']:.1f} GFLOP/s)")

    elif w["kind"] == "conv":
        N, C, K, H = 64, 128, 128, 16
        flops = 2 * N * K * C * 9 * H * H
        conv = nn.Conv2d(C, K, 3, padding=1).to(memory_format=mf)
        x = torch.randn(N, C, H, H).contiguous(memory_format=mf).requires_grad_(True)

        def fwd():
            with torch.no_grad():
                conv(x)
        tf = statistics.median(timeit(fwd, warmup, iters))
        out = conv(x)
        g = torch.randn_like(out)

        def bwd():  # dX and dW (+ dbias): two passes of the forward's FLOPs
            torch.autograd.grad(out, [x, conv.weight, conv.bias], g, retain_graph=True)
        tb = statistics.median(timeit(bwd, warmup, iters))
        rec.update(batch=N, forward_ms=tf * 1e3, forward_gflops=flops / tf / 1e9,
                   backward_ms=tb * 1e3, backward_gflops=2 * flops / tb / 1e9)
        print(f"conv [{fmt}] forward {tf * 1e3:.2f} ms {flops / tf / 1e9:.1f} GFLOP/s, "
              f"backward {tb * 1e3:.2f} ms {2 * flops / tb / 1e9:.1f} GFLOP/s")

    elif w["kind"] == "sgemm":
        n = 1024
        a, b = torch.randn(n, n), torch.randn(n, n)
        c = torch.empty(n, n)
        t = statistics.median(timeit(lambda: torch.mm(a, b, out=c), warmup, iters))
        rec.update(size=n, median_ms=t * 1e3, gflops=2 * n ** 3 / t / 1e9)
        print(f"sgemm {n}: {t * 1e3:.2f} ms {rec['gflops']:.1f} GFLOP/s")

    rec["peak_rss_mib"] = round(peak_rss_mib(), 1)
    print(json.dumps(rec, sort_keys=True), flush=True)


# --------------------------------------------------------------------------- driver
def last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            return json.loads(line)
    return None


def child_env(threads):
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[k] = str(threads)
    return env


def run_child(cmd, threads, log):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(threads))
    wall = time.perf_counter() - t0
    if log:
        log.write(f"$ {shlex.join(cmd)}   # rc {p.returncode}, {wall:.1f} s\n{p.stdout}{p.stderr}\n")
        log.flush()
    if p.returncode != 0:
        sys.stderr.write(f"failed ({p.returncode}): {shlex.join(cmd)}\n{p.stderr[-3000:]}\n")
        return None
    return last_json(p.stdout)


def metric(rec, kind):
    """The number compared for a workload: img/s, or forward GFLOP/s (conv), GFLOP/s (sgemm)."""
    if rec is None:
        return None
    if kind == "train":
        return rec.get("train_img_s", rec.get("img_s"))
    if kind == "infer":
        return rec.get("infer_img_s", rec.get("img_s"))
    if kind == "conv":
        return rec["forward_gflops"]
    return rec["gflops"]


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else float("nan")


def spread(values):
    v = [x for x in values if x is not None]
    if len(v) < 2:
        return ""
    m = statistics.median(v)
    return f"±{100 * (max(v) - min(v)) / 2 / m:.0f}%"


def machine_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def compare(args):
    # No torch import here: children inherit this process's peak RSS through fork/exec
    # (Linux keeps ru_maxrss across exec), so the driver must stay small.
    names = args.workloads.split(",") if args.workloads else DEFAULT_WORKLOADS
    for n in names:
        if n not in WORKLOADS:
            sys.exit(f"unknown workload '{n}'; known: {', '.join(WORKLOADS)}")
    me = os.path.abspath(__file__)
    log = open(args.log, "w") if args.log else None
    torch_runs = {n: {"contiguous": [], "channels_last": []} for n in names}
    vgg_runs = {n: [] for n in names}
    chosen = {}
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    for rep in range(args.reps):
        for n in names:
            w = WORKLOADS[n]
            wu = args.warmup if args.warmup is not None else w["warmup"]
            it = args.iterations if args.iterations is not None else w["iterations"]
            if w["kind"] == "sgemm":  # no memory format: one run
                fmts = ["contiguous"]
                chosen[n] = "contiguous"
            elif rep == 0 or w["kind"] == "conv" or args.both_formats:
                fmts = ["contiguous", "channels_last"]
            else:
                fmts = [chosen[n]]
            for f in fmts:
                cmd = [sys.executable, me, "run", n, "--format", f, "--threads", str(args.threads),
                       "--warmup", str(wu), "--iterations", str(it)]
                r = run_child(cmd, args.threads, log)
                torch_runs[n][f].append(r)
                print(f"  rep {rep + 1} {n:14s} torch {f:13s} {fmt_num(metric(r, w['kind']))}", flush=True)
            cmd = [args.vgg, "bench", "--threads", str(args.threads), "--warmup", str(wu),
                   "--iterations", str(it), "--json"] + w["vgg"]
            r = run_child(cmd, args.threads, log)
            vgg_runs[n].append(r)
            print(f"  rep {rep + 1} {n:14s} vgg                 {fmt_num(metric(r, w['kind']))}", flush=True)
            if rep == 0 and w["kind"] not in ("conv", "sgemm"):
                m = {f: med([metric(x, w["kind"]) for x in torch_runs[n][f]]) for f in ("contiguous", "channels_last")}
                chosen[n] = max(m, key=lambda f: m[f] if m[f] == m[f] else -1)
    wall = time.perf_counter() - t_start
    if args.both_formats:  # choose on all repetitions
        for n in names:
            k = WORKLOADS[n]["kind"]
            if k not in ("conv", "sgemm"):
                m = {f: med([metric(x, k) for x in torch_runs[n][f]]) for f in ("contiguous", "channels_last")}
                chosen[n] = max(m, key=lambda f: m[f] if m[f] == m[f] else -1)

    rows = []
    header = ("| workload | PyTorch | vgg-swift | vgg/PyTorch | paired ratio | PyTorch peak RSS | vgg peak RSS |\n"
              "|---|---:|---:|---:|---:|---:|---:|")

    def paired(tvals, vvals):
        """Median over repetitions of vgg/torch within each repetition (both ran back to back)."""
        rs = [v / t for t, v in zip(tvals, vvals) if t and v]
        return f"{statistics.median(rs):.2f}" if rs else "-"

    for n in names:
        w = WORKLOADS[n]
        k = w["kind"]
        if k == "conv":
            for what, key in (("forward", "forward_gflops"), ("backward dx+dW", "backward_gflops")):
                tv = {f: med([r[key] for r in torch_runs[n][f] if r]) for f in ("contiguous", "channels_last")}
                best = max(tv, key=lambda f: tv[f])
                vv = [r[key] for r in vgg_runs[n] if r]
                v = med(vv)
                rss_t = med([r["peak_rss_mib"] for r in torch_runs[n][best] if r])
                rss_v = med([r["peak_rss_mib"] for r in vgg_runs[n] if r])
                rows.append(f"| {w['desc']}, {what} | {tv['contiguous']:.1f} GFLOP/s contiguous, "
                            f"**{tv['channels_last']:.1f}** channels_last {spread([r[key] for r in torch_runs[n][best] if r])} "
                            f"| {v:.1f} GFLOP/s {spread(vv)} | {v / tv[best]:.2f} (vs {best}) "
                            f"| {paired([r[key] if r else None for r in torch_runs[n][best]], [r[key] if r else None for r in vgg_runs[n]])} "
                            f"| {rss_t:.0f} MiB | {rss_v:.0f} MiB |")
            continue
        f = chosen[n]
        tvals = [metric(r, k) for r in torch_runs[n][f]]
        vvals = [metric(r, k) for r in vgg_runs[n]]
        pair = paired(tvals, vvals)  # the chosen format ran in every repetition
        t, v = med(tvals), med(vvals)
        unit = "img/s" if k in ("train", "infer") else "GFLOP/s"
        other = "channels_last" if f == "contiguous" else "contiguous"
        tother = med([metric(r, k) for r in torch_runs[n][other]]) if torch_runs[n][other] else float("nan")
        rss_t = med([r["peak_rss_mib"] for r in torch_runs[n][f] if r])
        rss_v = med([r["peak_rss_mib"] for r in vgg_runs[n] if r])
        fmt_note = f" ({f}; {other} {tother:.2f}{'' if args.both_formats else ' in rep 1'})" if k != "sgemm" else ""
        rows.append(f"| {w['desc']} | {t:.2f} {unit} {spread(tvals)}{fmt_note} | {v:.2f} {unit} {spread(vvals)} "
                    f"| {v / t:.2f} | {pair} | {rss_t:.0f} MiB | {rss_v:.0f} MiB |")
    table = header + "\n" + "\n".join(rows)

    vrec = next((r for runs in vgg_runs.values() for r in runs if r), {}) or {}
    trec = next((r for runs in torch_runs.values() for rs in runs.values() for r in rs if r), {}) or {}
    meta = [
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- command: `{args.command or shlex.join(sys.argv)}`",
        f"- machine: {machine_name()}, {os.cpu_count()} logical CPUs; threads {args.threads} on both sides",
        f"- PyTorch {trec.get('torch', '?')} (oneDNN {trec.get('onednn', '?')}, "
        f"CPU capability {trec.get('cpu_capability', '?')}); vgg-swift: oneDNN {vrec.get('onednn', '?')}, "
        f"OpenBLAS core {vrec.get('blas_core', '?')}",
        f"- {args.reps} repetitions, torch and vgg interleaved, each run its own process; "
        f"each cell is the median over repetitions of the per-process median iteration "
        f"(± = half the range over repetitions; paired ratio = median over repetitions of the ratio within one); wall {wall / 60:.1f} min; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.1f}' for x in load_start)} at the start, {'/'.join(f'{x:.1f}' for x in os.getloadavg())} at the end",
        "- PyTorch format: the faster of contiguous/channels_last "
        + ("over all repetitions" if args.both_formats else "in repetition 1 (both formats always for the conv)"),
        "- peak RSS: getrusage ru_maxrss of the process running that one workload "
        f"(driver's own peak RSS {peak_rss_mib():.0f} MiB, inherited through exec as a floor; PyTorch's includes ~200 MiB of torch libraries)",
    ]
    text = "\n".join(meta) + "\n\n" + table + "\n"
    print()
    print(text)
    if args.results:
        with open(args.results, "w") as fh:
            fh.write("# vgg-swift vs PyTorch (CPU), side by side\n\n")
            fh.write("Produced by `bench/compare_pytorch.sh` (see `bench/torch_workloads.py` for the method).\n\n")
            fh.write(text)
            fh.write("\nRaw per-repetition values:\n\n```\n")
            for n in names:
                k = WORKLOADS[n]["kind"]
                for f, runs in torch_runs[n].items():
                    if runs:
                        fh.write(f"{n:14s} torch {f:13s} " + " ".join(fmt_num(metric(r, k)) for r in runs) + "\n")
                fh.write(f"{n:14s} vgg                 " + " ".join(fmt_num(metric(r, k)) for r in vgg_runs[n]) + "\n")
            fh.write("```\n")
        print(f"wrote {args.results}")
    if log:
        log.close()


# --------------------------------------------------------------------------- per-layer
def torch_layer_times(name, fmt, threads, warmup, iters):
    """Per-layer forward (and, for training, backward) times of one network workload, in ms.

    The network runs as an explicit chain of modules, each timed on its own. Backward is
    split at the modules' backward pre-hooks (autograd runs the chain's nodes in reverse
    order on one thread), so a layer's backward time is the gap between its pre-hook and the
    next one (or the end of backward). ReLU is not in place here (hooks need that); otherwise
    the model is the one `run` measures.
    """
    import torch
    import torch.nn as nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    w = WORKLOADS[name]
    mf = torch.channels_last if fmt == "channels_last" else torch.contiguous_format
    imagenet = name.startswith("vgg")
    cfg = "D" if name.startswith("vgg16") else "A"
    in_ch, hw, classes = (3, 224, 1000) if imagenet else (1, 32, 10)
    bs = w["batch"]
    model = build_model(cfg, in_ch, classes, imagenet).to(memory_format=mf)
    for m in model.modules():
        if isinstance(m, nn.ReLU):
            m.inplace = False
    chain = [(f"features.{i}", m) for i, m in enumerate(model.features)]
    if imagenet:
        chain.append(("avgpool", model.avgpool))
    chain.append(("flatten", nn.Flatten()))
    chain += [(f"classifier.{i}", m) for i, m in enumerate(model.classifier)]
    x = torch.randn(bs, in_ch, hw, hw).contiguous(memory_format=mf)
    n = len(chain)
    fwd = [[] for _ in range(n)]
    bwd = [[] for _ in range(n)]
    train = w["kind"] == "train"

    if train:
        y = torch.randint(0, classes, (bs,))
        crit = nn.CrossEntropyLoss()
        opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
        model.train()
        marks = {}

        def pre_hook(i):
            def hook(module, grad_output):
                marks[i] = time.perf_counter()
            return hook
        for i, (_, m) in enumerate(chain):
            m.register_full_backward_pre_hook(pre_hook(i))
    else:
        model.eval()

    for it in range(warmup + iters):
        tf = [0.0] * n
        with torch.set_grad_enabled(train):
            h = x
            for i, (_, m) in enumerate(chain):
                t0 = time.perf_counter()
                h = m(h)
                tf[i] = time.perf_counter() - t0
        if train:
            opt.zero_grad(set_to_none=True)
            marks.clear()
            loss = crit(h, y)
            loss.backward()
            t_end = time.perf_counter()
            opt.step()
        if it >= warmup:
            for i in range(n):
                fwd[i].append(tf[i] * 1e3)
            if train:
                for i in range(n):
                    if i not in marks:
                        continue
                    later = [marks[j] for j in range(i) if j in marks]  # earlier layers run later in backward
                    nxt = min((t for t in later if t >= marks[i]), default=t_end)
                    bwd[i].append((nxt - marks[i]) * 1e3)
    rows = []
    for i, (lname, m) in enumerate(chain):
        r = dict(name=lname, module=type(m).__name__, fwd_ms=statistics.median(fwd[i]))
        if train and bwd[i]:
            r["bwd_ms"] = statistics.median(bwd[i])
        rows.append(r)
    return rows


def layers(args):
    """Side-by-side per-layer table of one network workload: PyTorch vs `vgg bench`."""
    w = WORKLOADS[args.workload]
    if w["kind"] not in ("train", "infer"):
        sys.exit("per-layer tables exist for the network workloads only")
    wu = args.warmup if args.warmup is not None else w["warmup"]
    it = args.iterations if args.iterations is not None else w["iterations"]
    if args.side == "torch":  # child mode: print the torch rows as JSON
        print(json.dumps(torch_layer_times(args.workload, args.format, args.threads, wu, it)))
        return
    me = os.path.abspath(__file__)
    trows, vrows = [], []
    for _ in range(args.reps):
        cmd = [sys.executable, me, "layers", args.workload, "--side", "torch", "--format", args.format,
               "--threads", str(args.threads), "--warmup", str(wu), "--iterations", str(it)]
        p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(args.threads))
        if p.returncode != 0:
            sys.exit(p.stderr[-3000:])
        trows.append(json.loads(p.stdout.strip().splitlines()[-1]))
        cmd = [args.vgg, "bench", "--threads", str(args.threads), "--warmup", str(wu),
               "--iterations", str(it), "--json"] + w["vgg"]
        vrec = run_child(cmd, args.threads, None)
        if vrec is None:
            sys.exit("vgg bench failed")
        vrows.append({r["name"]: r for r in vrec["layers"]})
    train = w["kind"] == "train"
    vkey = "fwd_ms" if train else "inf_ms"
    out = []
    emit = out.append  # collect the table, then print it and maybe append it to a file
    emit(f"{w['desc']}; PyTorch {args.format}, {args.threads} threads, medians of {args.reps} run(s) "
          f"x {it} iterations; times in ms; ratio = vgg time / PyTorch time (> 1: vgg slower)")
    head = f"{'layer':14s} {'type':12s} {'torch fwd':>9s} {'vgg fwd':>9s} {'ratio':>6s}"
    if train:
        head += f" {'torch bwd':>9s} {'vgg bwd':>9s} {'ratio':>6s}"
    emit(head)
    tot = [0.0, 0.0, 0.0, 0.0]
    for i, r in enumerate(trows[0]):
        name = r["name"]
        tf = statistics.median(t[i]["fwd_ms"] for t in trows)
        if name not in vrows[0]:
            emit(f"{name:14s} {r['module']:12s} {tf:9.2f} {'-':>9s}")
            continue
        vf = statistics.median(v[name][vkey] for v in vrows)
        kind = vrows[0][name]["kind"]
        line = f"{name:14s} {kind:12s} {tf:9.2f} {vf:9.2f} {vf / tf if tf > 0 else float('nan'):6.2f}"
        tot[0] += tf; tot[1] += vf
        if train and "bwd_ms" in r:
            tb = statistics.median(t[i]["bwd_ms"] for t in trows)
            vb = statistics.median(v[name]["bwd_ms"] for v in vrows)
            line += f" {tb:9.2f} {vb:9.2f} {vb / tb if tb > 0 else float('nan'):6.2f}"
            tot[2] += tb; tot[3] += vb
        emit(line)
    line = f"{'total':14s} {'':12s} {tot[0]:9.2f} {tot[1]:9.2f} {tot[1] / tot[0]:6.2f}"
    if train:
        line += f" {tot[2]:9.2f} {tot[3]:9.2f} {tot[3] / tot[2]:6.2f}"
    emit(line)
    text = "\n".join(out)
    sys.stdout.write(text + "\n")
    if args.append:
        with open(args.append, "a") as fh:
            fh.write(f"\n### Per layer: {args.workload} "
                     f"({datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}, "
                     f"load average {'/'.join(f'{x:.1f}' for x in os.getloadavg())})\n\n"
                     f"`{args.command or shlex.join(sys.argv)}`\n\n```\n{text}\n```\n")


def fmt_num(x):
    return "failed" if x is None else f"{x:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run one workload in PyTorch")
    r.add_argument("workload", choices=list(WORKLOADS))
    r.add_argument("--format", choices=["contiguous", "channels_last"], default="contiguous")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--warmup", type=int)
    r.add_argument("--iterations", type=int)
    c = sub.add_parser("compare", help="interleave PyTorch and vgg bench over all workloads")
    c.add_argument("--vgg", required=True, help="path of the vgg executable")
    c.add_argument("--threads", type=int, default=2)
    c.add_argument("--reps", type=int, default=3)
    c.add_argument("--workloads", help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    c.add_argument("--warmup", type=int, help="override every workload's warm-up iterations")
    c.add_argument("--iterations", type=int, help="override every workload's timed iterations")
    c.add_argument("--both-formats", action="store_true", help="run PyTorch in both formats every repetition")
    c.add_argument("--results", help="write the table (markdown) to this file")
    c.add_argument("--log", help="write every child's full output to this file")
    c.add_argument("--command", help="the command line to record in the results")
    lp = sub.add_parser("layers", help="per-layer times of one network workload, PyTorch vs vgg bench")
    lp.add_argument("workload", choices=[k for k, v in WORKLOADS.items() if v["kind"] in ("train", "infer")])
    lp.add_argument("--vgg", help="path of the vgg executable")
    lp.add_argument("--side", choices=["both", "torch"], default="both", help=argparse.SUPPRESS)
    lp.add_argument("--format", choices=["contiguous", "channels_last"], default="channels_last")
    lp.add_argument("--threads", type=int, default=2)
    lp.add_argument("--reps", type=int, default=1)
    lp.add_argument("--warmup", type=int)
    lp.add_argument("--iterations", type=int)
    lp.add_argument("--append", help="append the table (markdown) to this file")
    lp.add_argument("--command", help="the command line to record with the table")
    a = ap.parse_args()
    if a.cmd == "layers":
        if a.side == "both" and not a.vgg:
            ap.error("layers needs --vgg")
        layers(a)
    elif a.cmd == "run":
        w = WORKLOADS[a.workload]
        run_torch(a.workload, a.format, a.threads,
                  a.warmup if a.warmup is not None else w["warmup"],
                  a.iterations if a.iterations is not None else w["iterations"])
    else:
        compare(a)


if __name__ == "__main__":
    main()
