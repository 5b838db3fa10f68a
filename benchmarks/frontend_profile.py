"""Where the page's main-thread time goes while it plays (`frontend_frames.py --profile DIR`).

Records, over the same seconds the frame figures are taken, a Chromium trace (style, layout,
paint... as the DevTools Performance panel shows them) and a V8 sampling CPU profile, writes
both to DIR (open them in DevTools) and prints:

* the renderer main thread's time by trace event (top-level events only, so nothing counts
  twice), grouped by the event that last arrived on the websocket (`session`, `graph`, or the
  phase: `forward`, `backward`...), per event received;
* per kind of event, what the browser redid: elements restyled, layout by layout root (its
  time and dirty objects: a root of `#document` means the whole page was walked), and paint
  by the element owning each paint layer (a layer's time includes the layers painted inside
  it); with `invalidations`, each invalidated element and the reason the trace gives;
* JavaScript self time by function and by source file. The functions only have names in an
  unminified build: `cd frontend && npx vite build --minify false --sourcemap` (the names
  of source files come from the source map when there is one next to the bundle).

The page marks each received event with `performance.mark("ls:<kind>")` (the recorder in
frontend_frames.py does it), which lands in the trace on the same clock as everything else.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from playwright.sync_api import CDPSession, Page

STATIC = Path(__file__).resolve().parents[1] / "backend/loopscope/static"
TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "blink.user_timing",
    "v8",
]
# With `--invalidations`: which element each style, layout and paint invalidation was for, and
# why (costly to record, so only on request; it inflates the times it is recorded with).
INVALIDATION_CATEGORY = "disabled-by-default-devtools.timeline.invalidationTracking"
# Trace events that only wrap others (their time is their children's) or are not work.
WRAPPERS = {"RunTask", "ThreadControllerImpl::RunTask", "ThreadPool_RunTask"}


class Profiler:
    """A CPU profile and a trace of one page, started and stopped around a measurement."""

    def __init__(
        self,
        page: Page,
        out: Path,
        static: Path = STATIC,
        *,
        sampling: bool = True,
        invalidations: bool = False,
    ) -> None:
        self.page = page
        self.static = static
        self.sampling = sampling
        self.invalidations = invalidations
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.cdp: CDPSession = page.context.new_cdp_session(page)

    def start(self, name: str) -> None:
        """Start the trace and the sampling profiler (100 µs between samples)."""
        self.name = f"{self.static.name}-{name}"
        self.trace_path = self.out / f"{self.name}.trace.json"
        browser = self.page.context.browser
        assert browser is not None
        categories = TRACE_CATEGORIES + ([INVALIDATION_CATEGORY] if self.invalidations else [])
        browser.start_tracing(page=self.page, path=self.trace_path, categories=categories)
        if self.sampling:
            self.cdp.send("Profiler.enable")
            self.cdp.send("Profiler.setSamplingInterval", {"interval": 100})
            self.cdp.send("Profiler.start")

    def stop(self, seconds: float) -> None:
        """Stop both, write them to DIR and print their summaries."""
        profile: dict[str, Any] | None = None
        if self.sampling:
            profile = self.cdp.send("Profiler.stop")["profile"]
        browser = self.page.context.browser
        assert browser is not None
        browser.stop_tracing()
        trace = json.loads(self.trace_path.read_text())
        events = trace["traceEvents"] if isinstance(trace, dict) else trace
        print_trace_summary(events, _marks(events), seconds)
        print_render_summary(events, _marks(events))
        if self.invalidations:
            print_invalidation_summary(events, _marks(events))
        if profile is not None:
            (self.out / f"{self.name}.cpuprofile").write_text(json.dumps(profile))
            print_profile_summary(profile, self.static)


def _main_thread(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(pid, tid) of the measured page's renderer main thread: the one its marks are on."""
    for e in events:
        if str(e.get("name", "")).startswith("ls:"):
            return e["pid"], e["tid"]
    raise RuntimeError("no event was received while tracing")


def _marks(events: list[dict[str, Any]]) -> list[tuple[float, str]]:
    """(time µs, kind) of each received websocket event, in order."""
    found = [
        (float(e["ts"]), str(e["name"])[3:])
        for e in events
        if str(e.get("name", "")).startswith("ls:") and e.get("ph") in ("R", "I", "i", "n", "b")
    ]
    return sorted(found)


def _kind_at(marks: list[tuple[float, str]], times: list[float], ts: float) -> str:
    i = bisect.bisect_right(times, ts) - 1
    return marks[i][1] if i >= 0 else "(before)"


def print_trace_summary(
    events: list[dict[str, Any]], marks: list[tuple[float, str]], seconds: float
) -> None:
    """Main-thread time by top-level trace event, per kind of the last event received.

    Figures are the thread's CPU time (`tdur`), which other processes on a busy machine
    inflate far less than wall time; wall time is printed beside the total.
    """
    pid, tid = _main_thread(events)
    times = [t for t, _ in marks]
    first = times[0] if times else 0.0
    spans = sorted(
        (float(e["ts"]), float(e["dur"]), float(e.get("tdur", e["dur"])), str(e["name"]))
        for e in events
        if e.get("pid") == pid and e.get("tid") == tid and e.get("ph") == "X" and "dur" in e
    )
    by_kind: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    end = 0.0
    wall = 0.0
    for ts, dur, cpu, name in spans:
        if name in WRAPPERS or ts < first or ts < end:  # ts < end: nested in a counted event
            continue
        end = ts + dur
        wall += dur / 1000
        # By the last mark before the event's end: the task that handles a message starts
        # before the handler marks it, and belongs to that message, not to the one before.
        by_kind[_kind_at(marks, times, ts + dur)][name] += cpu / 1000
    counts: dict[str, int] = defaultdict(int)
    for _, kind in marks:
        counts[kind] += 1
    total = sum(sum(v.values()) for v in by_kind.values())
    print(
        f"  main thread, top-level trace events: CPU {total / seconds:6.1f} ms per s of play"
        f" (wall {wall / seconds:.1f}), {len(marks)} events received:"
        f" {total / max(1, len(marks)):.1f} ms per event;"
        " CPU ms per event received, by what ran until the next one:"
    )
    for kind, names in sorted(by_kind.items(), key=lambda kv: -sum(kv[1].values())):
        n = max(1, counts.get(kind, 1))
        top = sorted(names.items(), key=lambda kv: -kv[1])[:8]
        detail = ", ".join(f"{name} {ms / n:.1f}" for name, ms in top)
        print(f"    {kind:<10} ×{n:<4} {sum(names.values()) / n:6.1f}: {detail}")


def _node_name(data: dict[str, Any]) -> str:
    """An element as the trace names it, without Svelte's scoping class (`svelte-1abc`)."""
    name = str(data.get("nodeName") or data.get("node", {}).get("nodeName") or "?")
    return re.sub(r"\s*svelte-\w+", "", name).replace(" class=''", "")


def print_render_summary(events: list[dict[str, Any]], marks: list[tuple[float, str]]) -> None:
    """Per kind of event: the layout roots and objects laid out, elements restyled, and the
    paint layers recorded (by the element that owns them; nested layers count in their
    parent's time too), per event received."""
    pid, tid = _main_thread(events)
    times = [t for t, _ in marks]
    counts: dict[str, int] = defaultdict(int)
    for _, kind in marks:
        counts[kind] += 1
    styled: dict[str, float] = defaultdict(float)
    layouts: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    paints: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    first = times[0] if times else 0.0
    for e in events:
        if e.get("pid") != pid or e.get("tid") != tid or e.get("ph") != "X" or e["ts"] < first:
            continue
        kind = _kind_at(marks, times, float(e["ts"]))
        cpu = float(e.get("tdur", e.get("dur", 0))) / 1000
        args = e.get("args", {})
        if e["name"] == "UpdateLayoutTree":
            styled[kind] += float(args.get("elementCount", 0))
        elif e["name"] == "Layout":
            roots = args.get("endData", {}).get("layoutRoots", [{}])
            entry = layouts[kind][_node_name(roots[0]) if roots else "?"]
            entry[0] += cpu
            entry[1] += float(args.get("beginData", {}).get("dirtyObjects", 0))
        elif e["name"] == "Paint":
            entry = paints[kind][_node_name(args.get("data", {}))]
            entry[0] += cpu
            entry[1] += 1
    print(
        "  per event received: elements restyled; layout by root (ms, dirty objects);"
        " paint by layer owner (ms, times):"
    )
    for kind in sorted(counts, key=lambda k: -counts[k]):
        n = counts[kind]
        lay = sorted(layouts[kind].items(), key=lambda kv: -kv[1][0])[:3]
        pai = sorted(paints[kind].items(), key=lambda kv: -kv[1][0])[:4]
        print(f"    {kind:<10} restyled {styled[kind] / n:6.0f}")
        print(
            "      layout "
            + "; ".join(f"{root} {v[0] / n:.2f} ms, {v[1] / n:.0f}" for root, v in lay)
        )
        print(
            "      paint  "
            + "; ".join(f"{root} {v[0] / n:.2f} ms, ×{v[1] / n:.1f}" for root, v in pai)
        )


def print_invalidation_summary(
    events: list[dict[str, Any]], marks: list[tuple[float, str]]
) -> None:
    """The elements whose style, layout or paint was invalidated, per event received, and
    why (the trace's invalidation tracking)."""
    times = [t for t, _ in marks]
    counts: dict[str, int] = defaultdict(int)
    for _, kind in marks:
        counts[kind] += 1
    first = times[0] if times else 0.0
    found: dict[str, dict[tuple[str, str, str], int]] = defaultdict(lambda: defaultdict(int))
    for e in events:
        name = str(e.get("name", ""))
        if not name.endswith("InvalidationTracking") or e["ts"] < first:
            continue
        data = e.get("args", {}).get("data", {})
        what = name.removesuffix("InvalidationTracking")
        reason = str(data.get("reason") or data.get("invalidationSet", {}) or "")[:40]
        found[_kind_at(marks, times, float(e["ts"]))][(what, _node_name(data), reason)] += 1
    print("  invalidations per event received (what, element, reason):")
    for kind in sorted(counts, key=lambda k: -counts[k]):
        n = counts[kind]
        top = sorted(found[kind].items(), key=lambda kv: -kv[1])[:14]
        print(f"    {kind} ({sum(found[kind].values()) / n:.0f} per event)")
        for (what, node, reason), c in top:
            print(f"      {c / n:5.1f}  {what:<14} {node[:60]:<60} {reason}")


def _source_names(url: str, static: Path) -> list[tuple[int, str]] | None:
    """(first line, source file) of each line of a bundle, from its source map in the build."""
    path = static / "assets" / (url.rsplit("/", 1)[-1] + ".map")
    if not url.endswith(".js") or not path.is_file():
        return None
    return _regions_from_map(json.loads(path.read_text()))


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_VLQ = {c: i for i, c in enumerate(_B64)}


def _decode(segment: str) -> list[int]:
    """The signed numbers of one source-map segment (base64 VLQ)."""
    values: list[int] = []
    value, shift = 0, 0
    for ch in segment:
        digit = _VLQ[ch]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        value, shift = 0, 0
    return values


def _regions_from_map(smap: dict[str, Any]) -> list[tuple[int, str]]:
    """(generated line, source file of the line's first segment) for each mapped line."""
    sources: list[str] = smap["sources"]
    out: list[tuple[int, str]] = []
    source = 0
    for line_no, line in enumerate(smap["mappings"].split(";")):
        first = True
        for segment in filter(None, line.split(",")):
            values = _decode(segment)
            if len(values) < 2:
                continue
            # The source index is relative to the previous segment's, across lines.
            source += values[1]
            if first:
                out.append((line_no, re.sub(r"^(\.\./)+", "", sources[source])))
                first = False
    return out


def print_profile_summary(profile: dict[str, Any], static: Path = STATIC) -> None:
    """JavaScript self time by function and by source file (sampled)."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    deltas: list[int] = profile.get("timeDeltas", [])
    samples: list[int] = profile.get("samples", [])
    self_ms: dict[int, float] = defaultdict(float)
    for i, node_id in enumerate(samples):
        gap = deltas[i + 1] if i + 1 < len(deltas) else 0
        self_ms[node_id] += gap / 1000
    regions: dict[str, list[tuple[int, str]] | None] = {}
    by_function: dict[str, float] = defaultdict(float)
    by_file: dict[str, float] = defaultdict(float)
    for node_id, ms in self_ms.items():
        frame = nodes[node_id]["callFrame"]
        url, line = str(frame["url"]), int(frame["lineNumber"])
        name = frame["functionName"] or "(anonymous)"
        if url and url not in regions:
            regions[url] = _source_names(url, static)
        spans = regions.get(url) if url else None
        if spans:
            i = bisect.bisect_right([s[0] for s in spans], line) - 1
            where = spans[max(i, 0)][1]
        else:
            where = url.rsplit("/", 1)[-1] or name
        by_function[f"{name} ({where}:{line + 1})" if url else name] += ms
        by_file[where] += ms
    busy = sum(ms for key, ms in by_file.items() if key not in ("(idle)",))
    print(f"  JavaScript and native samples, not idle: {busy:.0f} ms; by file:")
    for where, ms in sorted(by_file.items(), key=lambda kv: -kv[1])[:14]:
        if where != "(idle)":
            print(f"    {ms:8.1f} ms  {where}")
    print("  by function (self time):")
    for key, ms in sorted(by_function.items(), key=lambda kv: -kv[1])[:25]:
        if not key.startswith("(idle)"):
            print(f"    {ms:8.1f} ms  {key}")
