#!/usr/bin/env python3
"""Two `vgg` binaries side by side on the workloads of bench/compare_pytorch.sh.

    bench/compare_binaries.py OLD NEW [--reps R] [--threads N] [--workloads a,b,...] [--results FILE]

For R repetitions, every workload runs in OLD and in NEW, interleaved (the order of the
pair alternates between repetitions, so a drift of the shared machine's speed does not
favour either), each in its own process, with the same `vgg bench` arguments, warm-up and
iteration counts as bench/compare_pytorch.sh (`--batch-size` passed as `--batch` to a binary built
before that spelling, whose `vgg bench --help` does not name it). It prints, per workload, the median over
repetitions of each binary's figure (img/s; GFLOP/s for the convolution, forward and
backward, and for sgemm), NEW/OLD, and the paired ratio (median over repetitions of the
ratio within one pair). A change that is meant to be neutral should stay within a few per cent.
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_workloads import WORKLOADS, DEFAULT_WORKLOADS, run_child  # noqa: E402  (no torch needed)


def figures(rec, kind):
    """The numbers compared for one run of a workload."""
    if rec is None:
        return {}
    if kind == "train":
        return {"img/s": rec.get("train_img_s")}
    if kind == "infer":
        return {"img/s": rec.get("infer_img_s")}
    if kind == "conv":
        return {"fwd GFLOP/s": rec.get("forward_gflops"), "bwd GFLOP/s": rec.get("backward_gflops")}
    return {"GFLOP/s": rec.get("gflops")}


def spelled_for(binary, words, known={}):
    """`words` as `binary` reads them: `--batch-size` is `--batch` in binaries built before the rename."""
    if binary not in known:
        text = subprocess.run([binary, "bench", "--help"], capture_output=True, text=True).stdout
        known[binary] = "--batch-size" in text
    return words if known[binary] else ["--batch" if w == "--batch-size" else w for w in words]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS))
    ap.add_argument("--results")
    args = ap.parse_args()
    names = args.workloads.split(",")
    runs = {n: {"old": [], "new": []} for n in names}
    for rep in range(args.reps):
        for n in names:
            w = WORKLOADS[n]
            order = ["old", "new"] if rep % 2 == 0 else ["new", "old"]
            for side in order:
                binary = args.old if side == "old" else args.new
                cmd = [binary, "bench", "--threads", str(args.threads), "--warmup", str(w["warmup"]),
                       "--iterations", str(w["iterations"]), "--json"] + spelled_for(binary, w["vgg"])
                runs[n][side].append(figures(run_child(cmd, args.threads, None), w["kind"]))
            print(f"  rep {rep + 1} {n:14s} old {runs[n]['old'][-1]}  new {runs[n]['new'][-1]}", flush=True)
    lines = ["| workload | figure | old | new | new/old | paired ratio (min–max) |", "|---|---|---:|---:|---:|---:|"]
    for n in names:
        keys = runs[n]["old"][0].keys() if runs[n]["old"] and runs[n]["old"][0] else []
        for k in keys:
            old = [r.get(k) for r in runs[n]["old"]]
            new = [r.get(k) for r in runs[n]["new"]]
            pairs = [b / a for a, b in zip(old, new) if a and b]
            mo, mn = statistics.median([x for x in old if x]), statistics.median([x for x in new if x])
            lines.append(f"| {WORKLOADS[n]['desc']} | {k} | {mo:.2f} | {mn:.2f} | {mn / mo:.3f} | "
                         f"{statistics.median(pairs):.3f} ({min(pairs):.3f}–{max(pairs):.3f}) |")
    table = "\n".join(lines)
    print(table)
    if args.results:
        with open(args.results, "w") as fh:
            fh.write(f"# `{os.path.basename(args.old)}` against `{os.path.basename(args.new)}`, "
                     f"{args.reps} interleaved repetitions, {args.threads} threads\n\n{table}\n")


if __name__ == "__main__":
    main()
