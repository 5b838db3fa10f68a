"""Frame times of the UI in headless Chromium while the loop plays.

Starts a loopscope server (the built UI must exist: `make frontend-build`), opens the page,
sets the speed, presses Play and records, inside the page, every animation frame for a few
seconds:

* interval: time between consecutive requestAnimationFrame callbacks (what a viewer sees;
  one vsync is 16.7 ms, so a dropped frame shows as ~33 ms);
* work: main-thread time of each frame, from its rAF callback to a message posted from it
  (style, layout and paint of that frame), plus the event handling that ran since the
  previous frame (the message handler and the DOM update Svelte runs right after it).

Figures are printed, never asserted (like the other benchmarks).

    .venv/bin/python benchmarks/frontend_frames.py [--seconds 8] [--rate 30]
        [--scenarios charlm mlp linear classify] [--cpu] [--hide '.some-panel']
        [--static OLD_BUILD NEW_BUILD --rounds 2] [--profile /tmp/prof [--invalidations]]
        [--css 'rules'] [--transformer [--iterations 3]]

--transformer measures instead a 2-block transformer (tests/e2e/_transformer_server.py: the
charlm record with its model swapped, ~1 000 autograd nodes): stepped by hand, the frames
from the Step that brings its backward phase until the animation of backward has lit every
node, once with the graph folded by module and once with blocks.1 and its attention opened.

The work is also printed grouped by the kind of event handled just before each frame, and
the load average before each run (the machine may be shared: compare builds back to back
with --static, which measures each build in turn for every scenario). --cpu adds the
renderer main thread's CPU time per event received, from a Chromium trace, and what the
browser did for each kind of event (elements restyled, layout roots and dirty objects, paint
by layer); --profile adds a CPU profile by function and source file, and --invalidations which
elements were restyled, relaid or repainted and why (see frontend_profile.py). --css adds
style rules to the page, to try a change (containment, a layer) on a build without a rebuild.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from frontend_profile import Profiler
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "backend/loopscope/static"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_CODE = """
import sys, pathlib, torch, uvicorn
import loopscope.server.app as web
from loopscope.server.app import create_app
from loopscope.config import Settings
port = int(sys.argv[1])
web.STATIC_DIR = pathlib.Path(sys.argv[2])  # the build to serve (A/B runs compare two)
torch.set_num_threads(1)
if sys.argv[3:4] == ["transformer"]:  # charlm's record with a 2-block transformer as its model
    sys.path.insert(0, sys.argv[4])
    from _transformer_server import use_transformer
    use_transformer()
uvicorn.run(create_app(Settings(port=port, device="cpu")), host="127.0.0.1", port=port,
            log_level="warning")
"""

# Installed before the app loads: wraps WebSocket message handling to time it, and records
# each frame's interval and work while window.__frames.on is true.
RECORDER = r"""
(() => {
  const rec = { on: false, intervals: [], work: [], kinds: [], messages: 0, handling: 0,
                kind: "" };
  window.__frames = rec;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    set onmessage(fn) {
      super.onmessage = (ev) => {
        const t0 = performance.now();
        // The kind of event (its phase for a phase event), for figures grouped by it and
        // as a mark in a trace (--profile).
        const head = typeof ev.data === "string" ? ev.data.slice(0, 160) : "";
        const m = /"type":\s*"(\w+)"(?:,\s*"phase":\s*"(\w+)")?/.exec(head);
        const kind = m ? (m[2] || m[1]) : "?";
        performance.mark("ls:" + kind);
        fn(ev);
        // Svelte applies the new state to the DOM in a microtask queued by fn: this one,
        // queued after it, ends the measurement once that update has run too.
        queueMicrotask(() => {
          if (rec.on) {
            rec.messages += 1; rec.handling += performance.now() - t0; rec.kind = kind;
          }
        });
      };
    }
  };
  let last = 0;
  const channel = new MessageChannel();
  let frameStart = 0;
  channel.port1.onmessage = () => {
    if (rec.on) {
      rec.work.push(performance.now() - frameStart + rec.handling);
      rec.kinds.push(rec.kind);
    }
    rec.handling = 0;
    rec.kind = "";
  };
  const tick = (now) => {
    if (rec.on && last) rec.intervals.push(now - last);
    last = now;
    frameStart = performance.now();
    channel.port2.postMessage(0);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

# Index of each speed in the UI's speed control (src/lib/store/speeds.ts SPEED_STOPS).
SPEED_INDEX = {0.5: 0, 1: 1, 2: 2, 5: 3, 10: 4, 30: 5, 60: 6}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_server(
    static: Path = STATIC, transformer: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "backend")}
    model = ["transformer", str(ROOT / "tests/e2e")] if transformer else []
    # Its stdout is not ours: a server left behind must not hold a pipe the caller reads.
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE, str(port), str(static), *model],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(
    page: Page, scenario: str, rate: float, seconds: float, profiler: Profiler | None = None
) -> dict[str, Any]:
    """Play `scenario` at `rate` phases/s and return the recorded frame figures."""
    page.get_by_test_id("scenario-select").select_option(scenario)
    page.wait_for_timeout(1000)
    page.get_by_role("slider", name="Speed").fill(str(SPEED_INDEX[rate]))
    start_iteration = int(page.get_by_test_id("iteration").get_attribute("data-value") or 0)
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_timeout(1000)  # warm up: JIT, first layouts
    if profiler:
        profiler.start(scenario)
    page.evaluate("window.__frames.on = true")
    page.wait_for_timeout(int(seconds * 1000))
    page.evaluate("window.__frames.on = false")
    if profiler:
        profiler.stop(seconds)
    page.get_by_role("button", name="Pause", exact=True).click()
    data: dict[str, Any] = page.evaluate(
        "(() => { const r = window.__frames; const out = {intervals: r.intervals,"
        " work: r.work, kinds: r.kinds, messages: r.messages}; r.intervals = []; r.work = [];"
        " r.kinds = []; r.messages = 0; return out; })()"
    )
    end_iteration = int(page.get_by_test_id("iteration").get_attribute("data-value") or 0)
    data["iterations"] = end_iteration - start_iteration
    return data


TRANSFORMER_URL = "/#scenario=charlm&corpus=english&batch_size=4"
# Graph units the backward animation has not finished with (none left: it is over).
UNFINISHED = (
    "[data-testid=graph-node][data-state=pending], [data-testid=graph-node][data-state=running],"
    " [data-testid=graph-group][data-state=pending], [data-testid=graph-group][data-state=running]"
)


def _step_to(page: Page, phase: str) -> None:
    """Press Step until the phase shown is `phase` (a captured phase of the transformer takes
    a second or more on this machine)."""
    for _ in range(6):
        if page.get_by_test_id("phase").get_attribute("data-phase") == phase:
            return
        before = page.get_by_test_id("phase").get_attribute("data-phase")
        page.get_by_test_id("control-step").click()
        page.wait_for_function(
            "(b) => document.querySelector('[data-testid=phase]').dataset.phase !== b",
            arg=before,
            timeout=120_000,
        )
    raise RuntimeError(f"did not reach {phase}")


def _open_group(page: Page, group: str) -> None:
    unit = page.locator(f"[data-testid=graph-group][data-group='{group}']")
    unit.focus()
    page.keyboard.press("Enter")
    page.locator(f"[data-testid=graph-group-frame][data-group='{group}']").wait_for(
        state="attached"
    )


def measure_transformer(
    page: Page, iterations: int, opened: bool, profiler: Profiler | None = None
) -> dict[str, Any]:
    """Frames of `iterations` backward phases of the transformer, each stepped by hand: from
    the Step that brings the phase until every unit of the graph has finished animating."""
    _step_to(page, "zero_grad")
    if opened:
        _open_group(page, "blocks.1")
        _open_group(page, "blocks.1.attn")
    page.wait_for_timeout(1500)  # layouts of the opened groups, idle warm-up
    if profiler:
        profiler.start("transformer-opened" if opened else "transformer-folded")
    started = time.monotonic()
    for i in range(iterations):
        if i:
            _step_to(page, "zero_grad")
        page.evaluate("window.__frames.on = true")
        page.get_by_test_id("control-step").click()
        page.locator("[data-testid=phase][data-phase=backward]").wait_for(timeout=120_000)
        page.wait_for_function(
            f"() => !document.querySelector({UNFINISHED!r})", polling="raf", timeout=30_000
        )
        page.wait_for_timeout(100)
        page.evaluate("window.__frames.on = false")
    if profiler:
        profiler.stop(time.monotonic() - started)
    data: dict[str, Any] = page.evaluate(
        "(() => { const r = window.__frames; const out = {intervals: r.intervals,"
        " work: r.work, kinds: r.kinds, messages: r.messages}; r.intervals = []; r.work = [];"
        " r.kinds = []; r.messages = 0; return out; })()"
    )
    data["iterations"] = iterations
    data["units"] = page.evaluate(
        "document.querySelectorAll('[data-testid=graph-node], [data-testid=graph-group]').length"
    )
    return data


def report(name: str, rate: float, seconds: float, data: dict[str, Any]) -> None:
    intervals: list[float] = data["intervals"]
    work: list[float] = data["work"]
    if not intervals or not work:
        print(f"{name}: no frames recorded")
        return
    under = sum(1 for w in work if w < 16.7) / len(work)
    on_time = sum(1 for i in intervals if i < 16.7 * 1.5) / len(intervals)
    # rate 0: stepped by hand (--transformer): the events received, not a rate.
    pace = f"{rate:>4g}/s" if rate else "stepped"
    events = f"{data['messages'] / seconds:>5.1f}/s" if rate else f"{data['messages']}"
    print(
        f"{name:<8} {pace}  frames {len(intervals):>4}  phase events"
        f" {events}  iterations {data['iterations']:>4}\n"
        f"         work ms: p50 {statistics.median(work):5.2f}  p95 {_percentile(work, 0.95):5.2f}"
        f"  p99 {_percentile(work, 0.99):5.2f}  max {max(work):6.2f}"
        f"  → {under:6.1%} of frames under 16.7 ms\n"
        f"     interval ms: p50 {statistics.median(intervals):5.2f}"
        f"  p95 {_percentile(intervals, 0.95):5.2f}  max {max(intervals):6.2f}"
        f"  → {on_time:6.1%} delivered on the next vsync (< 25 ms)"
    )
    by_kind: dict[str, list[float]] = {}
    for w, kind in zip(work, data["kinds"], strict=True):
        by_kind.setdefault(kind or "(none)", []).append(w)
    print("     work by the event handled before the frame (none: a frame with no event):")
    for kind, ws in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        share = sum(1 for w in ws if w < 16.7) / len(ws)
        print(
            f"        {kind:<10} {len(ws):>4} frames  p50 {statistics.median(ws):6.2f}"
            f"  p95 {_percentile(ws, 0.95):6.2f}  → {share:6.1%} under 16.7 ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=30, choices=sorted(SPEED_INDEX))
    parser.add_argument("--scenarios", nargs="*", default=["linear", "mlp", "classify"])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--hide",
        nargs="*",
        default=[],
        help="CSS selectors hidden with display:none (what a panel costs to lay out and paint)",
    )
    parser.add_argument(
        "--css",
        default="",
        help="CSS rules added to the page (to try a containment or layer change on a build"
        " without rebuilding it)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="write a Chromium trace and a CPU profile per scenario to DIR and summarize them",
    )
    parser.add_argument(
        "--invalidations",
        action="store_true",
        help="with --profile or --cpu: also record which elements were restyled, relaid and"
        " repainted per event and why (inflates the times of that run)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also trace the page (no sampling profiler) and print its main thread's CPU time"
        " per event received: steadier than frame times when other work shares the CPU",
    )
    parser.add_argument(
        "--static",
        type=Path,
        nargs="+",
        default=[STATIC],
        metavar="BUILD",
        help="builds of the UI to compare (a copy of backend/loopscope/static each), measured"
        " in turn for each scenario, so that a busy machine weighs on all alike",
    )
    parser.add_argument("--rounds", type=int, default=1, help="times each pair is measured")
    parser.add_argument(
        "--transformer",
        action="store_true",
        help="measure the backward animation of a 2-block transformer instead (folded graph,"
        " then a block and its attention opened), stepped by hand",
    )
    parser.add_argument(
        "--iterations", type=int, default=3, help="backward phases per --transformer run"
    )
    args = parser.parse_args()
    for build in args.static:
        if not (build / "index.html").is_file():
            raise SystemExit(f"no UI build in {build}: make frontend-build")
    # Stopped by a signal, still stop the servers (the finally clauses below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    servers = [_start_server(build, args.transformer) for build in args.static]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            print(f"Chromium {browser.version}, headless, 1440×900, {args.seconds:g} s per run")
            print(f"hidden: {', '.join(args.hide)}" if args.hide else "", end="")
            if args.transformer:
                _transformer_runs(browser, servers, args)
                return
            pages = [_open(browser, url, args.hide, args.css) for _, url in servers]
            for _ in range(args.rounds):
                for scenario in args.scenarios:
                    for build, page in zip(args.static, pages, strict=True):
                        profiler = None
                        if args.profile or args.cpu:
                            out = args.profile or Path(tempfile.mkdtemp(prefix="frames-"))
                            profiler = Profiler(
                                page,
                                out,
                                build,
                                sampling=bool(args.profile),
                                invalidations=args.invalidations,
                            )
                        print(f"\n[{build}] load average {_load()}")
                        data = measure(page, scenario, args.rate, args.seconds, profiler)
                        report(scenario, args.rate, args.seconds, data)
            print(f"\nload average {_load()}")
            browser.close()
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


def _transformer_runs(
    browser: Browser, servers: list[tuple[subprocess.Popen[bytes], str]], args: Any
) -> None:
    """--transformer: each build in turn, the graph folded and then a block opened, for each
    round (a fresh page each time, so the groups start folded)."""
    for _ in range(args.rounds):
        for opened in (False, True):
            for build, (_, url) in zip(args.static, servers, strict=True):
                page = _open(browser, url + TRANSFORMER_URL, args.hide, args.css)
                profiler = None
                if args.profile or args.cpu:
                    out = args.profile or Path(tempfile.mkdtemp(prefix="frames-"))
                    profiler = Profiler(page, out, build, sampling=bool(args.profile))
                print(f"\n[{build}] load average {_load()}")
                data = measure_transformer(page, args.iterations, opened, profiler)
                name = "opened" if opened else "folded"
                print(f"transformer, graph {name} ({data['units']} units drawn):")
                report(name, 0, 1, data)
                page.close()
    print(f"\nload average {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _open(browser: Browser, url: str, hide: list[str], css: str = "") -> Page:
    """A page of the UI at `url`, with the frame recorder, connected."""
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
    page.add_init_script(RECORDER)
    page.goto(url)
    page.locator("[data-testid=connection][data-state=open]").wait_for()
    if hide:
        page.add_style_tag(content=f"{', '.join(hide)} {{ display: none !important }}")
    if css:
        page.add_style_tag(content=css)
    return page


if __name__ == "__main__":
    main()
