#!/usr/bin/env bash
# The package's size as Markdown tables: every target of Package.swift (from
# `swift package dump-package`: its name, kind and path, the default Sources/NAME or
# Tests/NAME where none is given) with its files and lines of Swift and of C (.c, .h and
# the CUDA kernels' .cu, .cuh), generated code counted apart; then the ten longest
# functions of the package's own code (Sources/, generated code left out).
#
# A function's length is counted by a heuristic, not a parser: from the line of its
# declaration (Swift: `func`, `init`, `deinit`, `subscript`, accessors not counted apart; C: a
# `name(...)` followed by `{` outside any braces, preprocessor lines left out) to the line of the brace that closes its
# body, braces counted after string literals and comments are blanked out. Nested functions
# and closures are counted within the function that holds them.
#
# Usage: tools/code-stats.sh [--sources-only] [--write]   (run from anywhere; prints Markdown;
#        --write puts it into docs/architecture.md between <!-- code-stats --> and <!-- /code-stats -->)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--write" ] || [ "${2:-}" = "--write" ]; then
    args=(); for a in "$@"; do [ "$a" = "--write" ] || args+=("$a"); done
    table=$(bash "$0" ${args[@]+"${args[@]}"})
    TABLE="$table" python3 - <<'PY'
import os, sys
path, start, end = "docs/architecture.md", "<!-- code-stats -->", "<!-- /code-stats -->"
text = open(path).read()
if start not in text or end not in text:
    sys.exit(f"code-stats: {path} has no {start} ... {end} lines to put the tables between")
head, rest = text.split(start, 1)
open(path, "w").write(head + start + "\n" + os.environ["TABLE"] + "\n" + end + rest.split(end, 1)[1])
print(f"code-stats: wrote {path}")
PY
    exit 0
fi
swift package dump-package > "${TMPDIR:-/tmp}/vgg-code-stats-$$.json"
trap 'rm -f "${TMPDIR:-/tmp}/vgg-code-stats-$$.json"' EXIT
python3 - "${TMPDIR:-/tmp}/vgg-code-stats-$$.json" "$@" <<'PY'
import json, os, re, sys

package = json.load(open(sys.argv[1]))
sources_only = "--sources-only" in sys.argv[2:]
SWIFT, C = (".swift",), (".c", ".h", ".cu", ".cuh")


def target_path(t):
    if t.get("path"):
        return t["path"]
    return os.path.join("Tests" if t["type"] == "test" else "Sources", t["name"])


def files(path, exclude):
    skip = [os.path.normpath(os.path.join(path, e)) for e in exclude]
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for n in sorted(names):
            f = os.path.join(root, n)
            if not any(f == s or f.startswith(s + os.sep) for s in skip) and f.endswith(SWIFT + C):
                yield f


def lines(f):
    with open(f, encoding="utf-8", errors="replace") as fh:
        return sum(1 for _ in fh)


def generated(f):
    return f"{os.sep}Generated{os.sep}" in f or f.endswith(".pb.swift")


rows, all_files = [], []
for t in package["targets"]:
    path = target_path(t)
    if sources_only and not path.startswith("Sources"):
        continue
    fs = list(files(path, t.get("exclude", [])))
    swift = sum(lines(f) for f in fs if f.endswith(SWIFT) and not generated(f))
    c = sum(lines(f) for f in fs if f.endswith(C) and not generated(f))
    gen = sum(lines(f) for f in fs if generated(f))
    rows.append((t["name"], t["type"], path, len(fs), swift, c, gen))
    if path.startswith("Sources"):
        all_files += [(t["name"], f) for f in fs if not generated(f)]

print("| module | kind | path | files | Swift lines | C lines | generated lines |")
print("|---|---|---|---:|---:|---:|---:|")
for name, kind, path, n, swift, c, gen in rows:
    print(f"| {name} | {kind} | `{path}` | {n} | {swift} | {c} | {gen or ''} |")
for label, keep in (("Sources/", lambda p: p.startswith("Sources")), ("Tests/", lambda p: p.startswith("Tests"))):
    sel = [r for r in rows if keep(r[2])]
    if sel:
        print(f"| **all of {label}** | | | {sum(r[3] for r in sel)} | {sum(r[4] for r in sel)} | "
              f"{sum(r[5] for r in sel)} | {sum(r[6] for r in sel) or ''} |")


def blank(text, c_like):
    """`text` with string literals, characters and comments replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif not c_like and text.startswith('"""', i):
            j = text.find('"""', i + 3)
            j = n if j < 0 else j + 3
        elif text[i] == '"' or (c_like and text[i] == "'"):
            q, j = text[i], i + 1
            while j < n and text[j] != q and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            out.append(text[i])
            i += 1
            continue
        out.append(re.sub(r"[^\n]", " ", text[i:j]))
        i = j
    return "".join(out)


SWIFT_DECL = re.compile(r"\b(func\s+([^\s(<]+)|(init)[?!]?\s*[(<]|(deinit)\b|(subscript)\s*[(<])")
C_DECL = re.compile(r"([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:__attribute__\s*\(\(.*?\)\))?\s*$", re.S)


def end_of_body(code, start):
    """The index of the brace closing the body whose `{` is at `start`."""
    depth = 0
    for k in range(start, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


def functions(module, f):
    text = open(f, encoding="utf-8", errors="replace").read()
    c_like = f.endswith(C)
    code = blank(text, c_like)
    if c_like:  # preprocessor lines (with their continuations) blanked too
        code = re.sub(r"(?m)^[ \t]*#(?:.*\\\n)*.*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), code)
    line_of = lambda k: code.count("\n", 0, k) + 1
    found = []
    if not c_like:
        for m in SWIFT_DECL.finditer(code):
            name = m.group(2) or m.group(3) or m.group(4) or m.group(5)
            # The body: the first `{` after the declaration, unless a line ends first without
            # one (a protocol requirement) or a `}` comes first.
            k, paren = m.end(), 0
            while k < len(code):
                ch = code[k]
                if ch in "([":
                    paren += 1
                elif ch in ")]":
                    paren -= 1
                elif ch == "{" and paren <= 0:
                    break
                elif ch == "}" and paren <= 0:
                    k = -1
                    break
                elif ch == "\n" and paren <= 0:
                    rest = code[k + 1:].lstrip(" \t")
                    if not re.match(r"(throws|rethrows|async|->|where|\{|[,)&:])", rest):
                        k = -1
                        break
                k += 1
            if k < 0 or k >= len(code):
                continue
            first, last = line_of(m.start()), line_of(end_of_body(code, k))
            found.append((last - first + 1, name, module, f, first))
    else:
        depth, k = 0, 0
        while k < len(code):
            ch = code[k]
            if ch == "{":
                if depth == 0:
                    head = code[max(0, code.rfind(";", 0, k), code.rfind("}", 0, k)):k]
                    m = C_DECL.search(head)
                    if m and m.group(1) not in ("if", "for", "while", "switch"):
                        start = k - len(head) + m.start()
                        end = end_of_body(code, k)
                        found.append((line_of(end) - line_of(start) + 1, m.group(1), module, f, line_of(start)))
                        k = end + 1
                        continue
                depth += 1
            elif ch == "}":
                depth -= 1
            k += 1
    return found


longest = sorted((fn for module, f in all_files for fn in functions(module, f)), key=lambda r: (-r[0], r[3], r[4]))[:10]
print()
print("| lines | function | module | file:line |")
print("|---:|---|---|---|")
for n, name, module, f, first in longest:
    print(f"| {n} | `{name}` | {module} | `{f}:{first}` |")
PY
