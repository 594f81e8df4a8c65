#!/usr/bin/env python3
"""Proves that the doc-excerpt check can fail: a doc whose excerpt was edited by hand must be reported
(exit 1), regenerating it must make the check pass (exit 0), and a marker without a fenced block is an
error (exit 2). Runs scripts/update-doc-excerpts.py on scratch copies, never on the real docs.

Usage: doc_excerpts_selftest.py --maskviz PATH
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "update-doc-excerpts.py"
MARKER = "<!-- maskviz: validate scenarios/02-forum-lstm.json -->"


def run(maskviz: str, doc: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--maskviz", maskviz, *extra, str(doc)],
                          capture_output=True, text=True)


def expect(done: subprocess.CompletedProcess, status: int, what: str) -> None:
    if done.returncode != status:
        sys.exit(f"FAIL: {what}: exit {done.returncode}, expected {status}\n{done.stdout}{done.stderr}")
    print(f"ok: {what}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--maskviz", required=True)
    maskviz = parser.parse_args().maskviz
    with tempfile.TemporaryDirectory() as scratch:
        doc = Path(scratch) / "drift.md"
        doc.write_text(f"# A doc\n\n{MARKER}\n```text\nnot what maskviz prints\n```\n\nAfter.\n", encoding="utf-8")
        expect(run(maskviz, doc, "--check"), 1, "a hand-edited excerpt is reported as drift")
        expect(run(maskviz, doc), 0, "regenerating rewrites it")
        text = doc.read_text(encoding="utf-8")
        if "not what maskviz prints" in text or not text.endswith("```\n\nAfter.\n"):
            sys.exit(f"FAIL: the regenerated doc is not as expected:\n{text}")
        expect(run(maskviz, doc, "--check"), 0, "the regenerated excerpt passes the check")

        broken = Path(scratch) / "broken.md"
        broken.write_text(f"{MARKER}\nno fence here\n", encoding="utf-8")
        expect(run(maskviz, broken, "--check"), 2, "a marker without a fenced block is an error")


if __name__ == "__main__":
    main()
