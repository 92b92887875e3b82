#!/usr/bin/env python3
"""Prints every `vgg` command of README.md's code blocks, one per line as its README line
number, a tab and the command, with backslash continuations joined and trailing `# ...`
comments removed. A command is a line whose program is `vgg` (possibly after VAR=value
assignments) or `mpirun ... vgg`. Used by scripts/test-readme.sh."""
import re
import shlex
import sys


def commands(text):
    lines = text.split("\n")
    in_block = False
    pending, start = "", 0
    for number, raw in enumerate(lines, 1):
        if raw.lstrip().startswith("```"):
            in_block = not in_block
            pending = ""
            continue
        if not in_block:
            continue
        line = raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        # A comment starts at a '#' after white space (no README command has a '#' inside).
        line = re.split(r"\s#", " " + line, maxsplit=1)[0].strip()
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        i = 0
        while i < len(words) and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[i]):
            i += 1
        if i < len(words) and (words[i] == "vgg" or (words[i] == "mpirun" and "vgg" in words[i:])):
            yield {"line": start, "command": line}


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "README.md"
    for c in commands(open(path, encoding="utf-8").read()):
        print(f"{c['line']}\t{c['command']}")
