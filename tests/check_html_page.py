#!/usr/bin/env python3
"""Renders a `maskviz html` page in headless Chromium and checks it from the rendered DOM.

Driven over the DevTools protocol on a pipe (--remote-debugging-pipe), so nothing listens on a port and
every event the page causes is seen: an uncaught exception or a console error fails, any network request
fails (the page's own file:// load excepted), the masked steps hatched in every figure must be the masks
of `maskviz export` for the same scenario, the value a hover shows must be the exported float32, and
both runs must be drawn for every layer. Figures say what they draw in the svg's data-fig: the recurrent
timeline's masked and carried-over steps must be the trace's flags and its states the exported kept and
candidate states; an attention cell is hatched exactly where the exported combined mask forbids it and
shows the exported weight; the gradient figures (dloss/doutput, each step's terms, an Embedding's rows,
the weights' change after one optimizer step) show the exported gradients, hatched at the masked steps;
a scenario with a loss but no gradients must say why.

usage: check_html_page.py CHROMIUM MASKVIZ SCENARIO WORKDIR
       check_html_page.py --self-test CHROMIUM WORKDIR   (pages that must fail the checks do)
Exit 0 on success; 77 (skipped) when CHROMIUM does not exist; 1 with a message on the first failure.
"""
import json
import math
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--remote-debugging-pipe"]


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


class Browser:
    """A headless Chromium spoken to over fds 3 (commands) and 4 (replies and events), NUL-separated JSON."""

    def __init__(self, chromium, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=wire, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                fail("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 20)
                if not chunk:
                    fail("Chromium closed the DevTools pipe")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except SystemExit:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# Runs in the page: every drawn value with what a hover over it shows, every hatched step, every figure.
PROBE = r"""
(() => {
  const tip = document.getElementById('tip');
  const cells = [];
  for (const el of document.querySelectorAll('svg[data-run] [data-v]')) {
    const svg = el.closest('svg');
    el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 5, clientY: 5}));
    cells.push([svg.dataset.layer, svg.dataset.run, svg.dataset.b === undefined ? null : Number(svg.dataset.b),
                svg.dataset.axes, Number(el.dataset.i), el.dataset.v, tip.hidden ? null : tip.textContent,
                svg.dataset.fig || null, svg.dataset.weight || null, svg.dataset.states || null,
                el.getAttribute('class') || '']);
  }
  const hatched = [], gradHatched = [];
  for (const el of document.querySelectorAll('svg[data-run] .masked-step')) {
    const svg = el.closest('svg');
    (svg.dataset.fig ? gradHatched : hatched).push([svg.dataset.layer, svg.dataset.run, Number(el.dataset.b),
                                                   Number(el.dataset.t), svg.dataset.fig || null]);
  }
  const nodes = [...document.querySelectorAll('svg.timeline .node')].map(g => [g.closest('svg').dataset.layer,
      g.closest('svg').dataset.run, Number(g.dataset.b), Number(g.dataset.t), g.classList.contains('masked'),
      g.classList.contains('carried-over')]);
  const missing = [...document.querySelectorAll('section.gradients p.dim')].map(p => p.textContent);
  const terms = [...document.querySelectorAll('svg.loss .term')].map(g => [g.closest('svg').dataset.run,
      Number(g.dataset.b), Number(g.dataset.t), g.classList.contains('masked'), g.dataset.w]);
  const pooled = [...document.querySelectorAll('svg.reduction rect')].map(r => [r.closest('svg').dataset.layer,
      r.closest('svg').dataset.run, Number(r.dataset.b), Number(r.dataset.t), r.classList.contains('counted')]);
  const figures = [...document.querySelectorAll('svg[data-run]')].map(s => [s.dataset.layer, s.dataset.run]);
  return {cells, hatched, gradHatched, nodes, missing, terms, pooled, figures, svgs: document.querySelectorAll('svg').length,
          resources: performance.getEntriesByType('resource').length};
})()
"""


def flat(nested):
    if isinstance(nested, list):
        out = []
        for item in nested:
            out.extend(flat(item))
        return out
    return [nested]


def f32(value):
    if value is None:
        return None  # NaN or an infinity in the export
    return struct.unpack("f", struct.pack("f", float(value)))[0]


def page_value(text):
    if text in ("NaN", "Infinity", "-Infinity"):
        return None
    return f32(float(text))


def layers_by_name(run):
    found = {}
    for layer in run["layers"]:
        found[layer["name"]] = layer
        for half in layer.get("sublayers") or []:
            found[half["name"]] = half
    return found


def expected_hatches(layer):
    backwards = bool(layer["config"].get("go_backwards")) and bool(layer["config"].get("return_sequences"))
    mask = layer["input_mask"] if backwards or layer["output_mask"] is None else layer["output_mask"]
    if mask is None or len(layer["output_shape"]) != 3:
        return set()
    return {(b, t) for b, row in enumerate(mask) for t, keep in enumerate(row) if not keep}


NOT_CHECKED = object()


def largest_entry(tensor):
    values = [f32(v) for v in flat(tensor)]
    if any(v is None for v in values):
        return None  # NaN (or an infinity) in the term: the page draws NaN
    return max((abs(v) for v in values), default=0.0)


def figure_value(runs, trace, fig, layer, run, i, weight, states, cls):
    """The exported value a cell of a figure with data-fig stands for."""
    record = runs[run][layer]
    if fig == "output-gradient":
        return f32(flat(record["output_gradient"])[i])
    if fig == "weight-gradient":
        return f32(flat(record["gradients"][weight])[i])
    if fig == "weight-change":
        position = [l["name"] for l in trace["runs"][0]["layers"]].index(layer)
        train = next(r for r in trace["runs"] if r["mode"] == run)["train"]
        after, before = f32(flat(train["weights_after"][position][weight])[i]), f32(flat(record["weights"][weight])[i])
        return None if after is None or before is None else f32(after - before)
    if fig == "step-terms":
        step = record["steps"][i // len(record["steps"][0]["gradient"])]
        name = list(step["gradient"])[i % len(step["gradient"])]
        return largest_entry(step["gradient"][name])
    if fig == "timeline":
        count = int(states) if states else 1
        units = len(flat(next(iter(record["steps"][0]["kept_states"].values()))))
        step = record["steps"][(i // units) // count]
        slot, f = (i // units) % count, i % units
        source = step["candidate_states"] if "discarded" in cls else step["kept_states"]
        name = list(step["kept_states"])[slot]
        return f32(flat(source[name])[f])
    if fig == "attention":
        return f32(flat(record["attention"]["weights"])[i])
    return NOT_CHECKED


def check_timelines(result, runs):
    """The timeline's masked and carried-over steps are the trace's flags, step by step."""
    for layer, run, b, t, masked, carried in result["nodes"]:
        step = next(s for s in runs[run][layer]["steps"] if s["batch"] == b and s["t"] == t)
        if (masked, carried) != (step["masked"], step["carried_over"]):
            fail(f"{layer} {run} run b={b} t={t}: the timeline draws masked={masked} carried_over={carried}, the "
                 f"trace says masked={step['masked']} carried_over={step['carried_over']}")


def check_attention(result, runs):
    """An attention cell is drawn closed (hatched) exactly where the exported combined mask forbids it."""
    for layer, run, b, axes, i, shown, tip, fig, weight, states, cls in result["cells"]:
        if fig != "attention":
            continue
        a = runs[run][layer]["attention"]
        _, N, T, S = [len(a["weights"]), len(a["weights"][0]), len(a["weights"][0][0]),
                                len(a["weights"][0][0][0])]
        s_, t_, bb = i % S, (i // S) % T, i // (S * T * N)
        allowed = True if a["combined_mask"] is None else bool(a["combined_mask"][bb][t_][s_])
        if ("closed" in cls) == allowed:
            fail(f"{layer} {run} run b={bb} t={t_} s={s_}: drawn {'closed' if 'closed' in cls else 'open'}, the "
                 f"exported combined mask says {'may attend' if allowed else 'masked'}")


def check_gradients(result, runs, trace):
    """dloss/doutput and the per-step terms: hatched exactly at the masked run's masked steps; a scenario with
    a loss and no gradients says why."""
    has_grad = trace["runs"][0]["train"] is not None
    if not has_grad:
        if trace["runs"][0]["loss"] is not None and not result["missing"]:
            fail("the scenario has a loss but no gradients, and the page does not say why")
        return
    drawn = {}
    for layer, run, b, t, fig in result["gradHatched"]:
        drawn.setdefault((layer, run, fig), set()).add((b, t))
    top_level = {l["name"] for l in trace["runs"][0]["layers"]}
    for name, layer in runs["masked"].items():
        if (name in top_level and layer.get("output_gradient") is not None and len(layer["output_shape"]) == 3
                and layer["output_mask"]):
            expected = {(b, t) for b, row in enumerate(layer["output_mask"]) for t, keep in enumerate(row) if not keep}
            if drawn.get((name, "masked", "output-gradient"), set()) != expected:
                fail(f"{name}: dloss/doutput hatched at {sorted(drawn.get((name, 'masked', 'output-gradient'), set()))}, "
                     f"the mask it hands on marks {sorted(expected)}")
        steps = [s for s in layer.get("steps") or [] if s.get("gradient")]
        if steps:
            expected = {(s["batch"], s["t"]) for s in steps if s["masked"]}
            if drawn.get((name, "masked", "step-terms"), set()) != expected:
                fail(f"{name}: per-step terms hatched at {sorted(drawn.get((name, 'masked', 'step-terms'), set()))}, "
                     f"the trace's masked steps are {sorted(expected)}")


def check(result, trace, scenario):
    runs = {run["mode"]: layers_by_name(run) for run in trace["runs"]}
    losses = {run["mode"]: run["loss"] for run in trace["runs"]}
    figures = {tuple(f) for f in result["figures"]}
    if result["svgs"] == 0:
        fail("no SVG figure in the page")
    for name in runs["masked"]:
        for run in ("masked", "unmasked"):
            if (name, run) not in figures and name in [l["name"] for l in trace["runs"][0]["layers"]]:
                fail(f"layer {name}: no figure of the {run} run")
    if result["resources"] != 0:
        fail(f"the page loaded {result['resources']} resources")
    # Values: each heatmap cell is an output element, each loss bar a term, as exported.
    checked = 0
    for layer, run, b, axes, i, shown, tip, fig, weight, states, cls in result["cells"]:
        if tip is None or not tip.endswith(": " + shown):
            fail(f"{layer} {run} #{i}: hovering shows {tip!r}, not the value {shown}")
        if fig is not None:
            exported = figure_value(runs, trace, fig, layer, run, i, weight, states, cls)
            if exported is NOT_CHECKED:
                continue
        elif run in ("masked", "unmasked") and layer in runs[run] and axes in ("b,t,f", "b,f"):
            exported = f32(flat(runs[run][layer]["output"])[i])
        elif run in ("masked", "unmasked") and layer == "loss":
            exported = f32(flat(losses[run]["terms"])[i])
        elif run == "difference" and layer in runs["masked"]:
            a, u = f32(flat(runs["masked"][layer]["output"])[i]), f32(flat(runs["unmasked"][layer]["output"])[i])
            exported = None if a is None or u is None else f32(abs(a - u)) if a != u else 0.0
            # Both null: the export writes inf and NaN alike as null, so the same infinity in both runs
            # (a difference of 0 on the page) cannot be told from NaN (nan on the page) here.
            if a is None and u is None and page_value(shown) == 0.0:
                exported = 0.0
        elif run == "input":
            exported = f32(flat(trace["scenario"]["input"].get("tokens") or trace["scenario"]["input"]["values"])[i])
        else:
            continue
        value = page_value(shown)
        if not (value == exported or (value is None and exported is None)):
            fail(f"{layer} {run} #{i}: the page shows {shown}, the export holds {exported}")
        checked += 1
    # Masked steps: what is hatched in each masked-run heatmap is what the layer's mask marks.
    hatched = {}
    for layer, run, b, t, _ in result["hatched"]:
        hatched.setdefault((layer, run), set()).add((b, t))
    for name, layer in runs["masked"].items():
        expected = expected_hatches(layer)
        drawn = hatched.get((name, "masked"), set())
        if drawn != expected:
            fail(f"layer {name}: hatched steps {sorted(drawn)}, the trace's mask marks {sorted(expected)}")
    check_timelines(result, runs)
    check_attention(result, runs)
    check_gradients(result, runs, trace)
    # Pooling: a step drawn as counted exactly where the record says it entered the reduction.
    for layer, run, b, t, counted in result["pooled"]:
        record = next(r for r in runs[run][layer]["reductions"] if r["batch"] == b)
        if bool(record["counted"][t]) != counted:
            fail(f"{layer} {run} run b={b} t={t}: drawn {'counted' if counted else 'left out'}, "
                 f"the trace says {record['counted'][t]}")
    # The input: hatched where the first mask the model makes marks padding.
    created = next((l for l in trace["runs"][0]["layers"] if l["mask_action"] == "created" and l["output_mask"]), None)
    expected = set() if created is None else {
        (b, t) for b, row in enumerate(created["output_mask"]) for t, keep in enumerate(row) if not keep}
    if hatched.get(("input", "input"), set()) != expected:
        fail(f"input: hatched steps {sorted(hatched.get(('input', 'input'), set()))}, the mask marks {sorted(expected)}")
    # Loss bars: a term drawn at weight 0 (hatched) exactly where the export weighs it 0, in both runs.
    for run, loss in losses.items():
        if loss is None:
            continue
        T = loss["terms_shape"][1] if len(loss["terms_shape"]) == 2 else 1
        weights = flat(loss["weights"])
        drawn = [t for t in result["terms"] if t[0] == run]
        if not drawn:
            fail(f"the {run} run's loss terms are not drawn")
        for _, b, t, masked, w in drawn:
            exported = f32(weights[b * T + max(t, 0)])
            if masked != (exported == 0.0) or page_value(w) != exported:
                fail(f"{run} run, loss term b={b} t={t}: drawn with weight {w} ({'masked' if masked else 'counts'}), "
                     f"the export weighs it {exported}")
    return checked


def load_page(chromium, page):
    """Loads `page` in a fresh headless Chromium; returns what PROBE found and every problem seen on the way."""
    url = "file://" + os.path.abspath(page)
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(chromium, profile)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Network", "Log"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Page.navigate", {"url": url}, session=session)
            browser.wait_for("Page.loadEventFired")
            result = browser.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                                  session=session)
        finally:
            browser.close()
    problems = []
    if "exceptionDetails" in result:
        problems.append(f"the probe failed: {result['exceptionDetails']}")
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            problems.append(f"script error: {details.get('text')} {details.get('exception', {}).get('description', '')}")
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append(f"console error: {params.get('args')}")
        if method == "Log.entryAdded" and params["entry"].get("level") == "error":
            problems.append(f"browser error: {params['entry'].get('text')}")
        if method == "Network.requestWillBeSent" and params["request"]["url"] != url:
            problems.append(f"network request: {params['request']['url']}")
    return result.get("result", {}).get("value"), problems


def self_test(chromium, workdir):
    """The checks can fail: a page with a script error, one with a request, one with a blocked request."""
    os.makedirs(workdir, exist_ok=True)
    pages = {
        "script error": "<script>null.boom();</script>",
        "network request": '<img src="http://127.0.0.1:9/x.png" alt="">',
        "browser error": '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
                         '<img src="http://127.0.0.1:9/y.png" alt="">',
    }
    for expected, body in pages.items():
        path = os.path.join(workdir, expected.replace(" ", "-") + ".html")
        with open(path, "w") as f:
            f.write(f"<!DOCTYPE html><html><head><meta charset=utf-8>{body}</head><body><div id=tip></div></body></html>")
        _, problems = load_page(chromium, path)
        if not any(p.startswith(expected) for p in problems):
            fail(f"a page with a {expected} passed the browser checks: {problems}")
    print("ok: the browser checks catch a script error, a network request and a request the policy blocked")
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--self-test":
        if not shutil.which(sys.argv[2]):
            print(f"SKIP: {sys.argv[2]} is not installed (apt-get install chromium)")
            return 77
        return self_test(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    chromium, maskviz, scenario, workdir = sys.argv[1:]
    if not shutil.which(chromium):
        print(f"SKIP: {chromium} is not installed (apt-get install chromium)")
        return 77
    os.makedirs(workdir, exist_ok=True)
    base = os.path.join(workdir, os.path.splitext(os.path.basename(scenario))[0])
    page, trace_file = base + ".html", base + ".json"
    for command in (["html", scenario, "-o", page], ["export", scenario, "-o", trace_file]):
        done = subprocess.run([maskviz, *command], capture_output=True, text=True)
        if done.returncode != 0:
            fail(f"maskviz {' '.join(command)}: exit {done.returncode}: {done.stderr.strip()}")
    if os.path.getsize(page) >= 1 << 20:
        fail(f"the page is {os.path.getsize(page)} bytes, over 1 MB")
    with open(trace_file) as f:
        trace = json.load(f)
    result, problems = load_page(chromium, page)
    if problems:
        fail(problems[0])
    checked = check(result, trace, scenario)
    by_figure = {}
    for cell in result["cells"]:
        if cell[7]:
            by_figure[cell[7]] = by_figure.get(cell[7], 0) + 1
    figures = ", ".join(f"{n} {fig}" for fig, n in sorted(by_figure.items()))
    print(f"ok: {os.path.basename(scenario)}: {checked} values checked against the export ({figures or 'outputs only'}), "
          f"{len(result['hatched'])} masked steps drawn, {len(result['pooled'])} pooled steps, "
          f"{result['svgs']} SVG figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
