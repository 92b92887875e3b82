#!/usr/bin/env bash
# Writes the module graph of Package.swift (`swift package dump-package`) as a Mermaid graph
# into docs/architecture.md, between the lines <!-- module-graph --> and <!-- /module-graph -->:
# one node per target (test targets left out), in a box per layer folder (Sources/Core, ...), an arrow
# from each target to every target it depends on, package products as one node per package.
# `tools/module-graph.sh --check` writes nothing and fails when the committed graph is stale
# (scripts/test.sh runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-write}
json=$(swift package dump-package)
python3 - "$mode" "$json" <<'PY'
import json, sys
mode, package = sys.argv[1], json.loads(sys.argv[2])
targets = [t for t in package["targets"] if t["type"] != "test" and not t.get("path", "").startswith("Tests")]
def folder(t):
    path = t.get("path") or f"Sources/{t['name']}"
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else None
groups = {}
for t in targets:
    groups.setdefault(folder(t), []).append(t["name"])
lines = ["```mermaid", "graph BT"]
for name in groups.pop(None, []):
    lines.append(f"    {name}")
for g in sorted(groups):
    ident = g.replace("/", "_")
    lines.append(f'    subgraph {ident}["{g}"]')
    for name in groups[g]:
        lines.append(f"        {name}")
    lines.append("    end")
for t in targets:
    for d in t.get("dependencies", []):
        if "byName" in d:
            dep = d["byName"][0]
        elif "target" in d:
            dep = d["target"][0]
        elif "product" in d:
            dep = f'{d["product"][0]}["{d["product"][0]} ({d["product"][1]})"]'
        else:
            continue
        lines.append(f"    {t['name']} --> {dep}")
lines.append("```")
graph = "\n".join(lines)
path = "docs/architecture.md"
text = open(path, encoding="utf-8").read()
start, end = "<!-- module-graph -->", "<!-- /module-graph -->"
if start not in text or end not in text:
    sys.exit(f"module-graph: {path} has no {start} ... {end} lines to put the graph between")
before, rest = text.split(start, 1)
_, after = rest.split(end, 1)
new = f"{before}{start}\n{graph}\n{end}{after}"
if mode == "--check":
    if new != text:
        sys.exit(f"module-graph: the graph in {path} is not Package.swift's: run tools/module-graph.sh")
    print("module-graph: docs/architecture.md's graph is current")
elif new != text:
    open(path, "w", encoding="utf-8").write(new)
    print(f"module-graph: wrote {path}")
PY
