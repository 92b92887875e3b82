#!/usr/bin/env python3
"""Tables of bench/hosts.sh's raw lines (`TAGS… {json}` per run): the all-reduces beside the ring
formula 2(N-1)/N · S/B (B the tbf rate; the latency term 2(N-1)·α is left out, no latency being
added), a least-squares fit t = a + S/B_eff per link, number of hosts and precision over the sizes
measured, and the training steps.

    bench/hosts_tables.py RAW… [--fit-json FILE]    (FILE: the fitted constants, for bench/projection.py --fit)

Several RAW files (runs of bench/hosts.sh): each configuration's median over them, and the
number of runs it was measured in.
"""
import argparse, json, re, statistics

def rate_bytes(link):
    m = re.fullmatch(r"([0-9.]+)([kmg]?)bit", link)
    return None if m is None else float(m[1]) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m[2]] / 8

def ring(bytes_, n, bandwidth):
    return 2 * (n - 1) / n * bytes_ / bandwidth

def fit(points):
    """Least squares t = a + b·x over (x, t); (a, b)."""
    k = len(points)
    sx = sum(x for x, _ in points); st = sum(t for _, t in points)
    sxx = sum(x * x for x, _ in points); sxt = sum(x * t for x, t in points)
    b = (k * sxt - sx * st) / (k * sxx - sx * sx)
    return (st - b * sx) / k, b

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw", nargs="+")
    ap.add_argument("--fit-json")
    a = ap.parse_args()
    allreduce, train, streams, algorithms = [], [], [], []
    runs = {}
    for path in a.raw:
        for line in open(path):
            head, _, payload = line.partition(" {")
            runs.setdefault(head, []).append(json.loads("{" + payload))
    for head, ds in runs.items():
        d = dict(ds[0])
        for k, v in ds[0].items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                d[k] = statistics.median(x[k] for x in ds if k in x)
        d["runs"] = len(ds)
        tags = head.split()
        {"allreduce": allreduce, "train": train, "tcp": streams, "variant": algorithms}[tags[0]].append((tags[1:], d))
    print(f"{len(a.raw)} run(s); medians over them")

    if streams:
        print("One TCP stream between 2 hosts (bench/tcp_stream.py, 100 MB): MB/s")
        print(f"{'link':9} | {'rate':>6} {'one way':>8} {'fraction':>8} | {'each way, both at once':>22}")
        for (n, link, mb), d in streams:
            b = rate_bytes(link)
            frac = f"{d['one_way_MBps'] * 1e6 / b:.0%}" if b else ""
            print(f"{link:9} | {b / 1e6 if b else float('nan'):6.0f} {d['one_way_MBps']:8.1f} {frac:>8} | {d['both_ways_MBps']:22.1f}")
        print()

    print("All-reduce, 1 rank per host, medians (ms); ring: 2(N-1)/N · S/B at the tbf rate B")
    print(f"{'link':9} {'hosts':>5} {'MiB':>7} | {'float32':>9} {'ring':>9} {'×ring':>6} | {'bf16':>9} {'ring':>9} {'×ring':>6} | bf16/f32")
    groups = {}
    for (n, link, mib), d in allreduce:
        n, mib = int(n), float(mib)
        b = rate_bytes(link)
        cells = []
        for key, width in (("float32_ms", 4), ("bfloat16_ms", 2)):
            t = d[key]
            sent = mib * 2**20 / 4 * width
            r = ring(sent, n, b) * 1e3 if b else None
            cells.append(f"{t:9.1f} {r if r is not None else float('nan'):9.1f} {t / r if r else float('nan'):6.2f}")
            groups.setdefault((link, n, key), []).append((sent, t / 1e3))
        print(f"{link:9} {n:5d} {mib:7.2f} | {cells[0]} | {cells[1]} | {d['bfloat16_ms'] / d['float32_ms']:.2f}")

    print("\nFit per link, hosts and precision: t = a + (2(N-1)/N · S) / B_eff over the sizes measured")
    print(f"{'link':9} {'hosts':>5} {'precision':>9} | {'a (ms)':>7} {'B_eff (GB/s)':>12} {'B_eff / B':>9} {'worst fit error':>15}")
    fitted = {}
    for (link, n, key), pts in sorted(groups.items()):
        if len(pts) < 2: continue
        xs = [(2 * (n - 1) / n * s, t) for s, t in pts]
        a0, b0 = fit(xs)
        beff = 1 / b0 if b0 > 0 else float("inf")
        worst = max(abs(a0 + b0 * x - t) / t for x, t in xs if t > 0)
        nominal = rate_bytes(link)
        print(f"{link:9} {n:5d} {key[:-3]:>9} | {a0 * 1e3:7.2f} {beff / 1e9:12.3f} {beff / nominal if nominal else float('nan'):9.2f} {worst:15.0%}")
        fitted[f"{link}/{n}/{key[:-3]}"] = {"a_s": a0, "bandwidth_Bps": beff, "nominal_Bps": nominal, "worst_relative_error": worst}

    # The link model of bench/projection.py --fit, from the float32 and bfloat16 all-reduces:
    #   t = call + 2(N-1)/N · S · max(1/(eta·B), 1/H)
    # (Open MPI pipelines an all-reduce in fragments, so the wire and the hosts' own work overlap
    # and the slower one sets the pace.) H, the hosts' own rate per byte (copies, sums,
    # conversions, the TCP stack; N processes sharing this machine's cores), from the largest
    # unshaped all-reduce on N hosts; eta, the fraction of the tbf rate B that Open MPI's
    # all-reduce reaches, from the largest float32 all-reduce on the slowest link and the most
    # hosts; call, the fixed cost of one all-reduce, the median of the smallest.
    def largest(link, n, key):
        rows = [(float(m), d[key]) for (nn, l, m), d in allreduce if l == link and int(nn) == n]
        return max(rows) if rows else None
    links = sorted({l for (_, l, _), _ in allreduce if rate_bytes(l)}, key=rate_bytes)
    ns = sorted({int(n) for (n, _, _), _ in allreduce})
    if links and any(largest("unshaped", n, "float32_ms") for n in ns):
        host = {}
        for n in ns:
            for key, width in (("float32_ms", 4), ("bfloat16_ms", 2)):
                m = largest("unshaped", n, key)
                if m: host[(n, width)] = 2 * (n - 1) / n * m[0] * 2**20 / 4 * width / (m[1] / 1e3)
        slow = links[0]
        smallest = min(float(m) for (_, _, m), _ in allreduce)
        calls = sorted(d[k] / 1e3 for (_, _, m), d in allreduce if float(m) == smallest for k in ("float32_ms", "bfloat16_ms"))
        call = calls[len(calls) // 2]
        etas = {}
        for n in ns:
            m = largest(slow, n, "float32_ms")
            if m: etas[n] = 2 * (n - 1) / n * m[0] * 2**20 / (m[1] / 1e3 - call) / rate_bytes(slow)
        eta = etas[max(etas)]
        print(f"\nModel: t = {call * 1e3:.1f} ms + 2(N-1)/N · S · max(1/(eta · B), 1/H); eta = {eta:.2f} ({slow}, "
              + ", ".join(f"{n} hosts {e:.2f}" for n, e in etas.items())
              + "); H (GB/s, float32 / bfloat16 bytes): " + ", ".join(f"{n} hosts {host.get((n, 4), 0) / 1e9:.2f} / {host.get((n, 2), 0) / 1e9:.2f}" for n in ns))
        fitted["model"] = {"call_s": call, "eta": eta, "eta_per_hosts": etas, "host_Bps": host.get((2, 4)), "host_bf16_Bps": host.get((2, 2)),
                           "host_per_hosts": {f"{n}/{w * 8}": v for (n, w), v in host.items()}, "slow_link": slow}
        print(f"{'link':9} {'hosts':>5} {'MiB':>7} {'precision':>9} | {'measured':>9} {'model':>9} {'error':>6}")
        for (n, link, mib), d in allreduce:
            n, mib = int(n), float(mib)
            b = rate_bytes(link)
            for key, width in (("float32_ms", 4), ("bfloat16_ms", 2)):
                sent = mib * 2**20 / 4 * width
                per_byte = max(1 / (eta * b) if b else 0, 1 / host[(n, width)])
                t = (call + 2 * (n - 1) / n * sent * per_byte) * 1e3
                print(f"{link:9} {n:5d} {mib:7.2f} {key[:-3]:>9} | {d[key]:9.1f} {t:9.1f} {t / d[key] - 1:+6.0%}")

    if algorithms:
        print("\nOpen MPI settings forced (bench/hosts.sh VARIANTS), float32 / bfloat16 ms")
        default = {(int(n), l, float(m)): d for (n, l, m), d in allreduce}
        for (n, link, mib, name), d in algorithms:
            n, mib = int(n), float(mib)
            b = rate_bytes(link)
            base = default.get((n, link, mib))
            r = ring(mib * 2**20, n, b) * 1e3 if b else float("nan")
            print(f"{link:9} {n} hosts {mib:7.2f} MiB {name:20} | {d['float32_ms']:8.1f} ({d['float32_ms'] / r:.2f}× ring) / {d['bfloat16_ms']:8.1f}"
                  + (f" | default {base['float32_ms']:.1f} / {base['bfloat16_ms']:.1f}" if base else ""))

    if train:
        base = next((d for tags, d in train if tags[0] == "1"), None)
        print("\nTraining step, VGG-A on 3x32x32 (10 classes), 1 thread, batch 64 per rank; 2 hosts x 1 rank")
        print(f"{'configuration':28} | {'img/s':>7} {'efficiency':>10} {'all-reduce ms':>13} {'exposed ms':>10} {'ring ms (107 MiB)':>17}")
        for tags, d in train:
            n, link, mode = int(tags[0]), tags[1], tags[2]
            rate = d.get("global_img_s") or d["train_img_s"]
            eff = rate / (n * (base.get("global_img_s") or base["train_img_s"])) if base and n > 1 else None
            b = rate_bytes(link)
            width = 2 if "bf16" in mode else 4
            r = ring(28.1e6 * width, n, b) * 1e3 if b and n > 1 else float("nan")
            effs = f"{eff:.1%}" if eff is not None else ""
            name = "1 process" if n == 1 else f"{link}, {mode}"
            print(f"{name:28} | {rate:7.1f} {effs:>10} {d.get('allreduce_ms', float('nan')):13.1f} {d.get('allreduce_exposed_ms', float('nan')):10.1f} {r:17.1f}")
    if a.fit_json:
        json.dump(fitted, open(a.fit_json, "w"), indent=1)

if __name__ == "__main__":
    main()
