#!/usr/bin/env python3
"""Checks of `maskviz export` made the way a reader of the JSON would make them (tests/export.cmake).

    check_export.py schema   --maskviz BIN
        Every bundled scenario (scenarios/*.json, tests/golden/*.scenario.json), exported at every detail
        level, is strict JSON (no NaN or Infinity tokens), validates against docs/trace.schema.json (JSON
        Schema draft 2020-12), and reads into NumPy arrays of the shapes it declares. The schema must also
        reject documents that break the contract, so that this check can fail.

    check_export.py notebook --maskviz BIN
        Every notebook in docs/notebooks/ executes from top to bottom (jupyter nbconvert --execute) in a
        temporary directory against this maskviz, without an error, and draws its figures. The committed
        notebook is never rewritten.

    check_export.py doc --maskviz BIN
        Every JSON excerpt in docs/trace-format.md is what maskviz exports. An excerpt is a marker, the
        scenario and a JSON pointer into its export (then, optionally, more export arguments), followed by
        a ```json block:
            <!-- trace-example: docs/trace-example.scenario.json /runs/0/loss -->
        The block must parse to exactly the value at that pointer.

    check_export.py refresh --maskviz BIN
        Not a check: after a change to the trace or the notebooks, rewrites the excerpts of
        docs/trace-format.md, executes each notebook and writes it back with its outputs (so it reads on
        GitHub), and writes the figure of the cell tagged "readme-figure" to
        docs/images/notebook-heatmap.png, the picture in the README.

Needs Debian's python3-jsonschema, python3-numpy, python3-matplotlib, jupyter-nbconvert and python3-ipykernel
(scripts/packages-test.txt). Exit status: 0 every check passed, 1 a check failed, 2 something is missing.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "docs" / "trace.schema.json"
NOTEBOOKS = REPO / "docs" / "notebooks"
README_FIGURE = REPO / "docs" / "images" / "notebook-heatmap.png"
FORMAT_DOC = REPO / "docs" / "trace-format.md"
EXCERPT = re.compile(r"^<!--\s*trace-example:\s*(?P<args>.*?)\s*-->\s*$")
DETAILS = ("full", "steps", "outputs")


def need(module: str, package: str):
    try:
        return __import__(module)
    except ImportError:
        print(f"check_export: Python module {module} is missing: apt-get install {package} "
              f"(or run scripts/setup.sh); this is {sys.executable}", file=sys.stderr)
        sys.exit(2)


def bundled_scenarios() -> list[Path]:
    return sorted((REPO / "scenarios").glob("*.json")) + sorted((REPO / "tests" / "golden").glob("*.scenario.json"))


def reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def export(maskviz: str, scenario: Path, detail: str) -> dict:
    result = subprocess.run([maskviz, "export", str(scenario), "--detail", detail],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"maskviz export {scenario.name} --detail {detail} exited {result.returncode}: "
                             f"{result.stderr.strip()}")
    # Python's json module accepts NaN and Infinity by default; a strict reader must not meet them.
    return json.loads(result.stdout, parse_constant=reject_constant)


def check_shapes(trace: dict, np) -> list[str]:
    """The nested arrays read into NumPy arrays of the shapes the trace declares."""
    problems = []

    def expect(values, shape, where):
        try:
            got = np.array(values, dtype=np.float32).shape  # null -> nan
        except ValueError as error:  # ragged
            problems.append(f"{where}: {error}")
            return
        if got != tuple(shape):
            problems.append(f"{where}: shape {got}, declared {tuple(shape)}")

    def layer(record, where):
        expect(record["output"], record["output_shape"], f"{where}/output")
        for key in ("input_mask", "output_mask"):
            if record[key] is not None and np.array(record[key]).dtype != np.bool_:
                problems.append(f"{where}/{key}: not booleans")
        for name, info in record["weight_info"].items():
            expect(record["weights"][name], info["shape"], f"{where}/weights/{name}")
        for i, sub in enumerate(record["sublayers"]):
            layer(sub, f"{where}/sublayers/{i}")

    expect(trace["scenario"]["input"].get("values", trace["scenario"]["input"].get("tokens")),
           trace["scenario"]["input_shape"], "/scenario/input")
    for r, run in enumerate(trace["runs"]):
        for i, record in enumerate(run["layers"]):
            layer(record, f"/runs/{r}/layers/{i}")
        if run["loss"] is not None:
            for key in ("terms", "weights"):
                expect(run["loss"][key], run["loss"]["terms_shape"], f"/runs/{r}/loss/{key}")
    return problems


def broken_copies(trace: dict):
    """Documents that break the contract in ways a reader would trip on; the schema must refuse each."""
    def mutated(description, change):
        broken = copy.deepcopy(trace)
        change(broken)
        return description, broken

    layer = lambda t: t["runs"][0]["layers"][-1]
    yield mutated("a third run", lambda t: t["runs"].append(copy.deepcopy(t["runs"][1])))
    yield mutated("runs in the wrong order", lambda t: t["runs"].reverse())
    yield mutated("version 2", lambda t: t.update(version=2))
    yield mutated("a floor field renamed", lambda t: layer(t).update(outputs=layer(t).pop("output")))
    yield mutated("a mask of numbers", lambda t: layer(t).update(input_mask=[[1, 0]]))
    yield mutated("a string among the numbers", lambda t: layer(t).update(output=[["0.5"]]))
    yield mutated("an unknown mask action", lambda t: layer(t).update(mask_action="ignored"))
    yield mutated("a step without carried_over",
                  lambda t: next(l for r in t["runs"] for l in r["layers"] if l["steps"])["steps"][0].pop("carried_over"))


def run_schema(args) -> int:
    jsonschema = need("jsonschema", "python3-jsonschema")
    np = need("numpy", "python3-numpy")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    scenarios = bundled_scenarios()
    if not scenarios:
        print("check_export: no bundled scenario found", file=sys.stderr)
        return 1
    failures = 0
    with_steps = None
    for scenario in scenarios:
        for detail in DETAILS:
            label = f"{scenario.relative_to(REPO)} --detail {detail}"
            try:
                trace = export(args.maskviz, scenario, detail)
            except (AssertionError, ValueError) as error:
                print(f"FAIL {label}: {error}")
                failures += 1
                continue
            errors = sorted(validator.iter_errors(trace), key=lambda e: list(e.absolute_path))
            problems = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]]
            problems += check_shapes(trace, np)
            if problems:
                failures += 1
                print(f"FAIL {label}\n  " + "\n  ".join(problems))
            if with_steps is None and detail == "full" and any(l["steps"] for l in trace["runs"][0]["layers"]):
                with_steps = trace
    print(f"{len(scenarios)} scenarios x {len(DETAILS)} detail levels exported and checked against {SCHEMA.name}")

    # The schema must be able to say no.
    if with_steps is None:
        print("FAIL no bundled scenario has recorded steps to break")
        failures += 1
    else:
        for description, broken in broken_copies(with_steps):
            if validator.is_valid(broken):
                print(f"FAIL the schema accepts a trace with {description}")
                failures += 1
    print("schema: " + ("every check passed" if failures == 0 else f"{failures} failed"))
    return 0 if failures == 0 else 1


def execute(notebook: Path, maskviz: str, tmp: str) -> tuple[dict | None, str]:
    """Runs a copy of `notebook` in `tmp`; returns the executed notebook (None on failure) and stderr."""
    copied = Path(tmp) / notebook.name
    shutil.copy(notebook, copied)
    # The kernel's connection files and IPython's profile go to the temporary directory too: CI's home
    # may be fresh or read-only.
    env = dict(os.environ, MASKVIZ_BIN=str(Path(maskviz).resolve()), MASKVIZ_REPO=str(REPO),
               PYDEVD_DISABLE_FILE_VALIDATION="1", JUPYTER_RUNTIME_DIR=str(Path(tmp) / "runtime"),
               IPYTHONDIR=str(Path(tmp) / "ipython"))
    command = [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=300", "--output-dir", str(Path(tmp) / "out"), str(copied)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp, check=False)
    if result.returncode != 0:
        return None, f"nbconvert exited {result.returncode}\n{result.stderr[-3000:]}"
    return json.loads((Path(tmp) / "out" / notebook.name).read_text(encoding="utf-8")), result.stderr


def notebook_modules():
    need("nbconvert", "jupyter-nbconvert")
    need("ipykernel", "python3-ipykernel")
    need("matplotlib", "python3-matplotlib")
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        print(f"check_export: no notebook in {NOTEBOOKS}", file=sys.stderr)
        sys.exit(1)
    return notebooks


def run_notebook(args) -> int:
    nbformat = need("nbformat", "python3-nbformat")
    failures = 0
    for notebook in notebook_modules():
        try:  # the committed file itself: a notebook GitHub and Jupyter can open
            nbformat.validate(nbformat.read(str(notebook), as_version=4))
        except Exception as error:  # nbformat raises several kinds
            print(f"FAIL {notebook.name}: not a valid notebook: {str(error)[:300]}")
            failures += 1
        with tempfile.TemporaryDirectory(prefix="maskviz-notebook-") as tmp:
            executed, log = execute(notebook, args.maskviz, tmp)
        if executed is None:
            print(f"FAIL {notebook.name}: {log}")
            failures += 1
            continue
        code = [cell for cell in executed["cells"] if cell["cell_type"] == "code"]
        outputs = [output for cell in code for output in cell.get("outputs", [])]
        errors = [output for output in outputs if output.get("output_type") == "error"]
        images = [output for output in outputs if "image/png" in output.get("data", {})]
        unrun = [i for i, cell in enumerate(code) if cell.get("execution_count") is None]
        if errors or unrun or len(images) < 3:
            print(f"FAIL {notebook.name}: {len(errors)} errors, code cells not run: {unrun}, "
                  f"{len(images)} figures (expected at least 3)")
            failures += 1
        else:
            print(f"ok {notebook.name}: {len(code)} code cells ran, {len(images)} figures")
    return 0 if failures == 0 else 1


def run_refresh(args) -> int:
    import base64
    if doc_excerpts(args.maskviz, refresh=True) != 0:
        return 1
    for notebook in notebook_modules():
        with tempfile.TemporaryDirectory(prefix="maskviz-notebook-") as tmp:
            executed, log = execute(notebook, args.maskviz, tmp)
        if executed is None:
            print(f"refresh: {notebook.name}: {log}", file=sys.stderr)
            return 1
        for cell in executed["cells"]:
            cell.get("metadata", {}).pop("execution", None)  # timestamps: noise in every diff
            if "readme-figure" in cell.get("metadata", {}).get("tags", []):
                png = next(o["data"]["image/png"] for o in cell["outputs"] if "image/png" in o.get("data", {}))
                README_FIGURE.parent.mkdir(parents=True, exist_ok=True)
                README_FIGURE.write_bytes(base64.b64decode(png))
                print(f"refresh: wrote {README_FIGURE.relative_to(REPO)}")
        notebook.write_text(json.dumps(executed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"refresh: wrote {notebook.relative_to(REPO)} with its outputs")
    return 0


def pretty(value, indent: int = 0) -> str:
    """JSON with one key per line, but a tensor (an array without objects inside) and a short object of
    plain values (a lookup, a loss spec) on one line."""
    pad, inner = " " * indent, " " * (indent + 2)
    flat = lambda v: not isinstance(v, dict) and (not isinstance(v, list) or all(map(flat, v)))
    one_line = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, dict) and all(map(flat, value.values())) and len(one_line) + indent <= 100:
        return one_line
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key, ensure_ascii=False)}: {pretty(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and not flat(value):
        return "[\n" + ",\n".join(inner + pretty(item, indent + 2) for item in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def resolve(document, pointer: str):
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


def doc_excerpts(maskviz: str, refresh: bool) -> int:
    lines = FORMAT_DOC.read_text(encoding="utf-8").split("\n")
    failures, count, i = 0, 0, 0
    exports: dict[tuple, dict] = {}
    while i < len(lines):
        match = EXCERPT.match(lines[i])
        if not match:
            i += 1
            continue
        count += 1
        where = f"{FORMAT_DOC.name}:{i + 1}"
        scenario, pointer, *extra = shlex.split(match["args"])
        start = i + 1
        if start >= len(lines) or lines[start].strip() != "```json":
            print(f"FAIL {where}: the marker must be followed by a ```json block")
            return 1
        end = next((j for j in range(start + 1, len(lines)) if lines[j].strip() == "```"), None)
        if end is None:
            print(f"FAIL {where}: the ```json block is not closed")
            return 1
        key = (scenario, *extra)
        if key not in exports:
            result = subprocess.run([maskviz, "export", scenario, *extra], cwd=REPO, capture_output=True, text=True,
                                    check=False)
            if result.returncode != 0:
                print(f"FAIL {where}: maskviz export {scenario} exited {result.returncode}: {result.stderr.strip()}")
                return 1
            exports[key] = json.loads(result.stdout)
        try:
            want = resolve(exports[key], pointer)
        except (KeyError, IndexError, ValueError):
            print(f"FAIL {where}: {pointer} is not in the export of {scenario}")
            failures += 1
            i = end + 1
            continue
        if refresh:
            lines[start + 1:end] = pretty(want).split("\n")
            end = start + 1 + len(pretty(want).split("\n"))
        else:
            try:
                shown = json.loads("\n".join(lines[start + 1:end]))
            except ValueError as error:
                shown = error
            if shown != want:
                print(f"FAIL {where}: the excerpt is not what `maskviz export {scenario}` writes at {pointer}; "
                      f"run tests/check_export.py refresh")
                failures += 1
        i = end + 1
    if refresh:
        FORMAT_DOC.write_text("\n".join(lines), encoding="utf-8")
        print(f"refresh: rewrote {count} excerpts in {FORMAT_DOC.relative_to(REPO)}")
    elif count == 0:
        print(f"FAIL {FORMAT_DOC.name} has no trace-example excerpt")
        return 1
    else:
        print(f"doc: {count} excerpts checked, " + ("all match" if failures == 0 else f"{failures} differ"))
    return 0 if failures == 0 else 1


def run_doc(args) -> int:
    return doc_excerpts(args.maskviz, refresh=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=("schema", "doc", "notebook", "refresh"))
    parser.add_argument("--maskviz", required=True, help="the maskviz binary to check")
    args = parser.parse_args()
    if not os.access(args.maskviz, os.X_OK):
        print(f"check_export: {args.maskviz} is not an executable", file=sys.stderr)
        return 2
    args.maskviz = str(Path(args.maskviz).resolve())  # the doc check runs it from the repository root
    checks = {"schema": run_schema, "doc": run_doc, "notebook": run_notebook, "refresh": run_refresh}
    return checks[args.check](args)


if __name__ == "__main__":
    sys.exit(main())
