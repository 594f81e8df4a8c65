#!/usr/bin/env python3
"""Proves that the doc-excerpt check can fail. Runs scripts/update-doc-excerpts.py on scratch docs, never
on the real ones, against a stand-in for maskviz whose output is fixed, so that these cases do not move
when the real renderer's text changes:

- a hand-edited excerpt is reported as drift (exit 1), regenerating fixes it, and the check then passes;
- `| from "..."` and `| until "..."` keep only the lines between them, and `| status 2` quotes an
  expected error;
- a cut text that no line contains, a marker without a fenced block, and a failing command are
  errors (exit 2), not silently kept excerpts;
- the real maskviz (--maskviz) can be run through the script.

Usage: doc_excerpts_selftest.py --maskviz PATH
"""

import argparse
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "update-doc-excerpts.py"

# Prints a small "trace" for `run NAME`, the status 1 for `diff` (as maskviz diff does when the runs
# differ) and fails like maskviz on a bad scenario for anything else.
FAKE_MASKVIZ = """#!/usr/bin/env python3
import sys
args = sys.argv[1:]
if args[:1] == ["run"]:
    print("maskviz run · " + args[1] + "   ")
    print("── lstm")
    print("  step 1: carried over")
    print("── loss")
    print("  loss = 9.0964")
    print("")
elif args[:1] == ["diff"]:
    print("the runs part at lstm")
    sys.exit(1)
else:
    print("error: " + " ".join(args) + ": no such scenario", file=sys.stderr)
    sys.exit(2)
"""


def run(maskviz: Path, doc: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--maskviz", str(maskviz), *extra, str(doc)],
                          capture_output=True, text=True)


def expect(done: subprocess.CompletedProcess, status: int, what: str) -> None:
    if done.returncode != status:
        sys.exit(f"FAIL: {what}: exit {done.returncode}, expected {status}\n{done.stdout}{done.stderr}")
    print(f"ok: {what}")


def expect_text(doc: Path, want: str, what: str) -> None:
    have = doc.read_text(encoding="utf-8")
    if have != want:
        sys.exit(f"FAIL: {what}: the doc reads\n{have}\nexpected\n{want}")
    print(f"ok: {what}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--maskviz", required=True, type=Path)
    real = parser.parse_args().maskviz
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        fake = scratch / "fake-maskviz"
        fake.write_text(FAKE_MASKVIZ, encoding="utf-8")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)

        doc = scratch / "drift.md"
        doc.write_text("# A doc\n\n<!-- maskviz: run a.json -->\n```text\nnot what maskviz prints\n```\n\n"
                       "<!-- maskviz: run b.json | from \"── loss\" -->\n```text\nloss = 1\n```\n\n"
                       "<!-- maskviz: run c.json | from \"── lstm\" | until \"── loss\" -->\n\n```text\n```\n\n"
                       "<!-- maskviz: diff a.json -->\n````\nthe runs part at lstm\n````\n\n"
                       "<!-- maskviz: validate bad.json | status 2 -->\n```text\n```\nAfter.\n",
                       encoding="utf-8")
        done = run(fake, doc, "--check")
        expect(done, 1, "hand-edited excerpts are reported as drift")
        if "4 of 5 excerpt(s) differ" not in done.stderr or "-not what maskviz prints" not in done.stdout:
            sys.exit(f"FAIL: the report does not say what drifted:\n{done.stdout}{done.stderr}")
        expect(run(fake, doc), 0, "regenerating rewrites them")
        expect_text(doc, "# A doc\n\n<!-- maskviz: run a.json -->\n```text\nmaskviz run · a.json\n── lstm\n"
                         "  step 1: carried over\n── loss\n  loss = 9.0964\n```\n\n"
                         "<!-- maskviz: run b.json | from \"── loss\" -->\n```text\n── loss\n  loss = 9.0964\n```\n\n"
                         "<!-- maskviz: run c.json | from \"── lstm\" | until \"── loss\" -->\n\n```text\n── lstm\n"
                         "  step 1: carried over\n```\n\n"
                         "<!-- maskviz: diff a.json -->\n````\nthe runs part at lstm\n````\n\n"
                         "<!-- maskviz: validate bad.json | status 2 -->\n```text\n"
                         "error: validate bad.json: no such scenario\n```\nAfter.\n",
                    "whole outputs, cut outputs, diff's status 1 and an expected error are written as maskviz "
                    "prints them")
        expect(run(fake, doc, "--check"), 0, "the regenerated excerpts pass the check")

        for name, text, what in [
            ("lost-cut.md", "<!-- maskviz: run a.json | from \"── gone\" -->\n```\n```\n", "a cut text no line contains"),
            ("no-fence.md", "<!-- maskviz: run a.json -->\nno fence here\n", "a marker without a fenced block"),
            ("open-fence.md", "<!-- maskviz: run a.json -->\n```\nnever closed\n", "a fenced block never closed"),
            ("bad-cut.md", "<!-- maskviz: run a.json | head 3 -->\n```\n```\n", "an unknown cut"),
            ("failing.md", "<!-- maskviz: validate missing.json -->\n```\n```\n", "a command that fails"),
            ("wrong-status.md", "<!-- maskviz: validate missing.json | status 1 -->\n```\n```\n",
             "a command that fails with another status than the one expected"),
        ]:
            broken = scratch / name
            broken.write_text(text, encoding="utf-8")
            expect(run(fake, broken, "--check"), 2, f"{what} is an error")

        # The real binary runs through the script from the repository root (the path in the marker is
        # relative to it): the first regeneration writes the excerpt, the check then passes.
        smoke = scratch / "real.md"
        smoke.write_text("<!-- maskviz: validate scenarios/02-forum-lstm.json -->\n```text\n```\n", encoding="utf-8")
        expect(run(real, smoke), 0, "the real maskviz regenerates an excerpt")
        if smoke.read_text(encoding="utf-8") == "<!-- maskviz: validate scenarios/02-forum-lstm.json -->\n```text\n```\n":
            sys.exit("FAIL: the real maskviz printed nothing into the excerpt")
        expect(run(real, smoke, "--check"), 0, "and the check passes on it")


if __name__ == "__main__":
    main()
