#!/usr/bin/env python3
"""The table of bench/hier.sh from its raw lines: per link, size, variant and precision, the
median over rounds and the range.

    python3 bench/hier_tables.py RAW...
"""
import json
import statistics
import sys


def main(paths):
    rows, order = {}, []
    for path in paths:
        for line in open(path):
            if not line.strip():
                continue
            link, size, name, js = line.split(" ", 3)
            r = json.loads(js)
            r = r.get("record", r)
            key = (link, size, name)
            if key not in rows:
                rows[key] = []
                order.append(key)
            rows[key].append((r["float32_ms"], r["bfloat16_ms"]))
    print("| link | MiB | variant | float32 ms (range) | bf16 ms (range) | bf16 / float32 |")
    print("|---|---|---|---|---|---|")
    for key in order:
        f = [a for a, _ in rows[key]]
        b = [c for _, c in rows[key]]
        mf, mb = statistics.median(f), statistics.median(b)
        print(f"| {key[0]} | {key[1]} | {key[2]} | {mf:.0f} ({min(f):.0f}–{max(f):.0f}) | "
              f"{mb:.0f} ({min(b):.0f}–{max(b):.0f}) | {mb / mf:.2f} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bench/hier_tables.py RAW...")
    main(sys.argv[1:])
