#!/usr/bin/env python3
"""Prints every `vgg` command of the given Markdown files' code blocks, one per line as
FILE:LINE, a tab and the command, with backslash continuations joined and trailing `# ...`
comments removed, in the order of the files. A command is a line whose program is `vgg`
(possibly after VAR=value assignments) or `mpirun ... vgg`. In README.md every code block
counts; in the other files (docs/*.md) only the blocks marked runnable, whose opening fence
reads ```sh runnable. A command printed before (the README's tour repeats commands of
docs/training.md) is not printed again. Used by scripts/test-readme.sh."""
import os
import re
import shlex
import sys


def commands(text, every_block=True):
    lines = text.split("\n")
    in_block = False
    runs = every_block
    pending, start = "", 0
    for number, raw in enumerate(lines, 1):
        if raw.lstrip().startswith("```"):
            in_block = not in_block
            if in_block:
                runs = every_block or "runnable" in raw.split()[1:] or raw.strip() == "```sh runnable"
            pending = ""
            continue
        if not in_block or not runs:
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
    seen = set()
    for path in sys.argv[1:] or ["README.md"]:
        every_block = os.path.basename(path) == "README.md"
        for c in commands(open(path, encoding="utf-8").read(), every_block):
            if c["command"] in seen:
                continue
            seen.add(c["command"])
            print(f"{os.path.relpath(path)}:{c['line']}\t{c['command']}")
