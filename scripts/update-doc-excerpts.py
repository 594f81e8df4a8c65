#!/usr/bin/env python3
"""Regenerate (or check) the maskviz output excerpts embedded in the Markdown docs.

A doc marks an excerpt with an HTML comment that holds a maskviz command line, followed by a fenced
block that holds what that command prints:

    <!-- maskviz: run scenarios/02-forum-lstm.json --layer lstm --no-color --width 100 -->
    ```text
    ...exactly what `maskviz run scenarios/02-forum-lstm.json ...` prints...
    ```

A marker may narrow the output to the part the prose talks about, with plain substrings (not regular
expressions) after a bare `|`: `| from "TEXT"` starts at the first line that contains TEXT, and
`| until "TEXT"` stops before the next line that contains TEXT:

    <!-- maskviz: run scenarios/03-forum-loss.json --mode masked | from "── loss" -->

A `from` or `until` text that is not found is an error, so a renamed section cannot go unnoticed.
`| status N` expects exit status N instead of success and appends what maskviz wrote to stderr, so
that an error message can be quoted too:

    <!-- maskviz: validate docs/examples/typo.json | status 2 -->

Without --check, every such block is rewritten in place from the built maskviz. With --check nothing
is written: the script prints a diff for every block that no longer matches and exits 1, so a test can
fail when the docs drift from what the tool prints (tests/doc_excerpts.cmake).

Commands run from the repository root (scenario paths in markers are relative to it), with NO_COLOR
set and COLUMNS=100, so the output does not depend on the terminal. Trailing spaces are stripped from
each line, as editors do. Exit status: 0 all blocks match (or were rewritten), 1 drift found by
--check, 2 a usage error, a malformed marker or a maskviz command that failed.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^<!--\s*maskviz:\s*(?P<args>.*?)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(?P<fence>`{3,})[\w-]*\s*$")
# Subcommands whose non-zero status is an answer rather than a failure: diff exits 1 when the runs differ.
STATUS_IS_ANSWER = {"diff": {0, 1}}


class ExcerptError(Exception):
    """A marker or a command that cannot be turned into an excerpt (exit status 2)."""


@dataclass
class Block:
    marker_line: int          # 0-based index of the marker comment
    args: list[str]           # the maskviz arguments from the marker
    cuts: list[tuple[str, str]]  # ("from" | "until", text), applied in order
    status: int | None        # `| status N`: the exit status expected instead of success
    body_start: int           # first line inside the fence
    body_end: int             # the closing fence's line (exclusive end of the body)


def split_cuts(tokens: list[str], where: str) -> tuple[list[str], list[tuple[str, str]], int | None]:
    """Splits `run X ... | from "A" | until "B" | status N` into the arguments, the cuts and the status."""
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            segments.append([])
        else:
            segments[-1].append(token)
    args, cuts, status = segments[0], [], None
    if not args:
        raise ExcerptError(f"{where}: empty marker; expected a maskviz command line such as "
                           f"'run scenarios/02-forum-lstm.json --no-color'")
    for segment in segments[1:]:
        if len(segment) == 2 and segment[0] == "status" and segment[1].isdigit():
            status = int(segment[1])
        elif len(segment) == 2 and segment[0] in ("from", "until") and segment[1]:
            cuts.append((segment[0], segment[1]))
        else:
            raise ExcerptError(f"{where}: expected '| from \"TEXT\"', '| until \"TEXT\"' or '| status N' after "
                               f"the command, got '| {shlex.join(segment)}'")
    return args, cuts, status


def apply_cuts(lines: list[str], cuts: list[tuple[str, str]], where: str) -> list[str]:
    for verb, text in cuts:
        start = 1 if verb == "until" else 0  # "until" never cuts before the first line kept
        found = next((i for i in range(start, len(lines)) if text in lines[i]), None)
        if found is None:
            raise ExcerptError(f"{where}: '| {verb} \"{text}\"': no line of the output contains that text")
        lines = lines[found:] if verb == "from" else lines[:found]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def find_blocks(path: Path, lines: list[str]) -> list[Block]:
    blocks = []
    i = 0
    while i < len(lines):
        match = MARKER.match(lines[i])
        if not match:
            i += 1
            continue
        where = f"{path}:{i + 1}"
        try:
            args = shlex.split(match.group("args"))
        except ValueError as e:
            raise ExcerptError(f"{where}: cannot split the marker's command line: {e}") from None
        args, cuts, status = split_cuts(args, where)
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        opening = FENCE_OPEN.match(lines[j]) if j < len(lines) else None
        if not opening:
            raise ExcerptError(f"{where}: expected a fenced block (```text) right after the marker")
        fence = opening.group("fence")
        k = j + 1
        while k < len(lines) and lines[k].rstrip() != fence:
            k += 1
        if k == len(lines):
            raise ExcerptError(f"{path}:{j + 1}: the fenced block after the marker is never closed")
        blocks.append(Block(i, args, cuts, status, j + 1, k))
        i = k + 1
    return blocks


def run_maskviz(maskviz: Path, args: list[str], status: int | None, where: str) -> list[str]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    env.pop("CLICOLOR_FORCE", None)
    try:
        done = subprocess.run([str(maskviz), *args], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=120)
    except OSError as e:
        raise ExcerptError(f"{where}: cannot run {maskviz}: {e}") from None
    except subprocess.TimeoutExpired:
        raise ExcerptError(f"{where}: maskviz {shlex.join(args)} took longer than 120 s") from None
    accepted = {status} if status is not None else STATUS_IS_ANSWER.get(args[0], {0})
    if done.returncode not in accepted:
        message = done.stderr.strip().splitlines()
        raise ExcerptError(f"{where}: maskviz {shlex.join(args)} exited {done.returncode}"
                           + (f", expected {status}" if status is not None else "")
                           + (f": {message[-1]}" if message else ""))
    text = done.stdout + (done.stderr if status is not None else "")
    out = [line.rstrip() for line in text.splitlines()]
    while out and not out[-1]:
        out.pop()
    return out


def process(path: Path, maskviz: Path, check: bool) -> int:
    """Returns the number of blocks that differ from what maskviz prints."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = find_blocks(path, lines)
    drifted = 0
    # Replace from the end so that earlier line numbers stay valid.
    for block in reversed(blocks):
        where = f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}:{block.marker_line + 1}"
        want = apply_cuts(run_maskviz(maskviz, block.args, block.status, where), block.cuts, where)
        have = lines[block.body_start:block.body_end]
        if have == want:
            continue
        drifted += 1
        if check:
            sys.stdout.writelines(difflib.unified_diff(
                [line + "\n" for line in have], [line + "\n" for line in want],
                fromfile=f"{where} (in the doc)", tofile=f"maskviz {shlex.join(block.args)}", n=2))
        else:
            lines[block.body_start:block.body_end] = want
    if drifted and not check:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return drifted


def default_docs() -> list[Path]:
    docs = [REPO / "README.md"] + sorted((REPO / "docs").rglob("*.md"))
    return [p for p in docs if p.is_file()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="*", type=Path,
                        help="Markdown files to process (default: README.md and docs/**/*.md)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; print a diff and exit 1 when any excerpt differs")
    parser.add_argument("--maskviz", type=Path,
                        default=Path(os.environ.get("MASKVIZ", REPO / "build" / "maskviz")),
                        help="the maskviz binary (default: $MASKVIZ, else build/maskviz)")
    options = parser.parse_args()

    maskviz = options.maskviz.resolve()
    if not (maskviz.is_file() and os.access(maskviz, os.X_OK)):
        print(f"error: {maskviz}: no maskviz binary there; build it, or give --maskviz or $MASKVIZ",
              file=sys.stderr)
        return 2
    docs = [p.resolve() for p in options.docs] or default_docs()

    total_blocks = drifted = 0
    try:
        for path in docs:
            if not path.is_file():
                raise ExcerptError(f"{path}: no such file")
            total_blocks += len(find_blocks(path, path.read_text(encoding="utf-8").splitlines()))
            drifted += process(path, maskviz, options.check)
    except ExcerptError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    if options.check:
        if drifted:
            print(f"{drifted} of {total_blocks} excerpt(s) differ from what maskviz prints; "
                  f"run scripts/update-doc-excerpts.py to regenerate them", file=sys.stderr)
            return 1
        print(f"all {total_blocks} excerpt(s) match what maskviz prints")
        return 0
    print(f"{drifted} of {total_blocks} excerpt(s) regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
