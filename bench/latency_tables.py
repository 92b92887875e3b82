#!/usr/bin/env python3
"""Tables of bench/hosts.sh's raw lines measured with LATENCY (links tagged LINK@USus: USus the
one-way delay tools/delayline.c adds) and the fit of the latency term.

    bench/latency_tables.py RAW… [--fit-json FILE]

Several RAW files (runs): each configuration's median over them and the spread (lowest–highest
of the runs). The latency fit: for each link, number of hosts N, size and precision, the least
squares line t = t0 + m · d through the medians, d = the measured round trip ÷ 2 (the ping of
bench/udp_rtt.py at that delay): m is how many one-way latencies one all-reduce waits for in
sequence. The projection's ring term 2(N−1)·α then has α = m / (2(N−1)) · L on a link of
one-way latency L; FILE gets `alpha_per_latency` (m / (2(N−1)) of the smallest all-reduces on
2 hosts, float32 and bfloat16 pooled).

How m grows with the number of hosts p (the back-to-back all-reduces, float32, every link
pooled): for each size, the least squares m = k · f(p) through the origin for two forms,
f = log2 p (recursive doubling: log2 p exchanges, Open MPI's choice for small messages) and
f = 2(p − 1) (the ring's steps), with the root mean square residual of each; the form with the
smaller one is `form`; a size is `resolved` when that residual is under half the mean m (the
latency shows above this machine's noise; bench/projection.py uses only resolved sizes). Beside the medians' m, the lowest and highest m of the single runs
(each run's own slope), to show how much of m is noise. FILE gets it as `latency_model`,
which `bench/projection.py --latency-fit FILE` reads: a bucket of S bytes over p nodes on a
link of one-way latency L waits m(S, p) · L.
"""
import argparse, json, math, os, re, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hosts_tables import fit  # noqa: E402  (least squares t = a + b·x, shared with the bandwidth tables)

def split(tag):
    m = re.fullmatch(r"(.+)@([0-9.]+)us", tag)
    return (tag, None) if m is None else (m[1], float(m[2]))

def spread(values, digits=1):
    med = statistics.median(values)
    if len(values) == 1: return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", nargs="+")
    ap.add_argument("--fit-json")
    a = ap.parse_args()
    runs, per_run = {}, []
    for path in a.raw:
        mine = {}
        per_run.append(mine)
        for line in open(path):
            head, _, payload = line.strip().partition(" {")
            tags = head.split()
            if len(tags) < 3 or split(tags[2])[1] is None: continue
            runs.setdefault(tuple(tags), []).append(json.loads("{" + payload))
            mine[tuple(tags)] = json.loads("{" + payload)
    if not runs:
        raise SystemExit(f"latency_tables.py: no line with a delay (LINK@USus) in {', '.join(a.raw)}")
    links = sorted({split(t[2])[0] for t in runs}, key=lambda l: (l != "unshaped", l))
    delays = sorted({split(t[2])[1] for t in runs})
    print(f"{len(a.raw)} run(s); medians over them (lowest–highest)")

    rtt = {}
    print("\nRound trip (UDP ping, ms) and one TCP stream (100 MB, MB/s; one way / each way, both at once)")
    print(f"{'link':9} {'delay us':>8} | {'rtt ms':>18} | {'one way':>20} | {'both ways':>20}")
    for link in links:
        for d in delays:
            tag = f"{link}@{d:g}us"
            r = runs.get(("rtt", "2", tag)); t = runs.get(("tcp", "2", tag, "100"))
            if r: rtt[(link, d)] = statistics.median(x["rtt_ms_median"] for x in r)
            print(f"{link:9} {d:8g} | {spread([x['rtt_ms_median'] for x in r], 3) if r else '':>18} | "
                  f"{spread([x['one_way_MBps'] for x in t], 0) if t else '':>20} | {spread([x['both_ways_MBps'] for x in t], 0) if t else '':>20}")

    sizes = sorted({(int(t[1]), float(t[3])) for t in runs if t[0] in ("allreduce", "loop")})
    header = " | ".join(f"{d:g} us".rjust(22) for d in delays)
    fits = []
    for kind, prec, key, title in (("allreduce", "float32", "float32_ms", "vgg bench --allreduce (after a barrier each), float32"),
                                   ("allreduce", "bfloat16", "bfloat16_ms", "vgg bench --allreduce (after a barrier each), bfloat16"),
                                   ("loop", "float32", "float32_ms", "bench/allreduce_loop.c (MPI_Allreduce back to back), float32")):
        for link in links:
            if not any(t[0] == kind and split(t[2])[0] == link for t in runs): continue
            print(f"\n{title}, {link}: ms, medians over the runs (lowest–highest)")
            print(f"{'hosts':>5} {'MiB':>7} | {header} | {'t0 ms':>7} {'m':>5}")
            for n, s in sizes:
                cells, points = [], []
                for d in delays:
                    ds = runs.get((kind, str(n), f"{link}@{d:g}us", f"{s:g}"))
                    if not ds: cells.append(""); continue
                    vals = [x[key] for x in ds]
                    cells.append(spread(vals, 2 if statistics.median(vals) < 100 else 0))
                    if (link, d) in rtt: points.append((rtt[(link, d)] / 2, statistics.median(vals)))
                t0, m = fit(points) if len(points) >= 2 else (float("nan"), float("nan"))
                singles = []  # each run's own slope
                for mine in per_run:
                    pts = []
                    for d in delays:
                        r = mine.get(("rtt", "2", f"{link}@{d:g}us")); x = mine.get((kind, str(n), f"{link}@{d:g}us", f"{s:g}"))
                        if r and x and key in x: pts.append((r["rtt_ms_median"] / 2, x[key]))
                    if len(pts) >= 2: singles.append(fit(pts)[1])
                if len(points) >= 2: fits.append({"kind": kind, "link": link, "hosts": n, "mib": s, "precision": prec, "t0_ms": t0, "m": m,
                                                  "m_runs": singles})
                rng = f" ({min(singles):.1f}–{max(singles):.1f})" if len(singles) > 1 else ""
                print(f"{n:5d} {s:7g} | " + " | ".join(c.rjust(22) for c in cells) + f" | {t0:7.2f} {m:5.2f}{rng}")
    print("\nm: one-way latencies one all-reduce waits for (slope of t against the round trip ÷ 2;"
          " in brackets the lowest and highest single run's); the ring formula's 2(N-1) steps give 2 on 2 hosts, 6 on 4, 14 on 8")
    growth = []
    for s in sorted({f["mib"] for f in fits if f["kind"] == "loop"}):
        pts = sorted((f["hosts"], f["m"]) for f in fits if f["kind"] == "loop" and f["precision"] == "float32" and f["mib"] == s)
        if len({p for p, _ in pts}) < 2: continue
        entry = {"mib": s, "points": pts}
        for form, f in (("log2", math.log2), ("ring", lambda p: 2 * (p - 1))):
            k = sum(m * f(p) for p, m in pts) / sum(f(p) ** 2 for p, _ in pts)
            entry[form] = {"k": k, "rms": math.sqrt(sum((m - k * f(p)) ** 2 for p, m in pts) / len(pts))}
        entry["form"] = min(("log2", "ring"), key=lambda form: entry[form]["rms"])
        mean = sum(m for _, m in pts) / len(pts)
        entry["resolved"] = mean > 0 and entry[entry["form"]]["rms"] < 0.5 * mean
        growth.append(entry)
    if growth:
        print("\nHow m grows with the hosts p (allreduce_loop, float32, links pooled): m = k · log2 p or k · 2(p-1), least squares")
        print(f"{'MiB':>7} | {'m at p':30} | {'k log2 p (rms)':>16} | {'k 2(p-1) (rms)':>16} | better | resolved (rms < mean m / 2)")
        for e in growth:
            ms = ", ".join(f"{p}: {m:.1f}" for p, m in e["points"])
            print(f"{e['mib']:7g} | {ms:30} | {e['log2']['k']:7.2f} ({e['log2']['rms']:5.1f}) | {e['ring']['k']:7.2f} ({e['ring']['rms']:5.1f}) | {e['form']:6} | {'yes' if e['resolved'] else 'no: noise'}")

    trains = sorted({(t[2], t[3]) for t in runs if t[0] == "train"})
    if trains:
        print("\nTraining step, 2 hosts × 1 rank: img/s of both (lowest–highest), exposed all-reduce ms, buckets")
        for tag, variant in sorted(trains, key=lambda x: (split(x[0])[0], split(x[0])[1], x[1])):
            ds = runs[("train", "2", tag, variant)]
            exposed = [x["allreduce_exposed_ms"] for x in ds if "allreduce_exposed_ms" in x]
            print(f"{tag:20} {variant:16} | {spread([x['global_img_s'] for x in ds]):>20} img/s | "
                  f"exposed {spread(exposed, 0) if exposed else '':>18} ms | {ds[0].get('buckets', '')} bucket(s) | {len(ds)} run(s)")

    if a.fit_json:
        smallest = min(s for _, s in sizes)
        pooled = [f["m"] / (2 * (f["hosts"] - 1)) for f in fits if f["kind"] == "loop" and f["hosts"] == 2 and f["mib"] == smallest]
        model = {"alpha_per_latency": statistics.median(pooled) if pooled else None,
                 "smallest_mib": smallest, "fits": fits, "latency_model": growth, "rtt_ms": {f"{l}@{d:g}us": v for (l, d), v in rtt.items()}}
        json.dump(model, open(a.fit_json, "w"), indent=1, sort_keys=True)
        print(f"\nα per one-way latency of the link (allreduce_loop, 2 hosts, {smallest:g} MiB): {model['alpha_per_latency']}; written to {a.fit_json}")

if __name__ == "__main__":
    main()
