"""Layout time of the autograd graph in headless Chromium, for transformers of 2 to N blocks.

The graphs are real: tests/backend/_tiny_transformer.py builds the model and walks its
loss's graph as the server does. The page's layout code (frontend/src/lib/graph) is
bundled with rolldown and timed inside Chromium:

* dagre, whole graph: one dagre layout of every node (what the page did before grouping);
* folded (first view): the skeleton in both directions with every group folded, as a
  graph above the threshold is first shown (cold cache);
* open one group: the cached skeleton plus one group's inside (cold: nothing laid out) —
  a block's inside is its parts (attn, mlp, ln1, ln2) folded, a few units;
* open its part: then the biggest part inside that block (attention, ~50 nodes, cold);
* open another: a second block after the first was opened (its shape is cached: blocks of
  one shape share one dagre layout, renamed), and its attention (shape cached too);
* warm-up: what the page does while idle after the first view, every group's inside laid
  out one per idle callback (total, spread over many frames);
* open after warm-up: opening a group once that is done (what a learner's click costs);
* open all: every group's inside laid out (cold) and composed — the worst case;
* re-compose: opening or folding a group whose inside is cached (warm).

Figures are printed, never asserted (like the other benchmarks).

    .venv/bin/python benchmarks/graph_layout.py [--blocks 2 14] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
GRAPH_LIB = FRONTEND / "src" / "lib" / "graph"

ENTRY = """
import {{ layoutGraph }} from "{lib}/layout.ts";
import {{ GroupedLayouts }} from "{lib}/grouplayout.ts";
import {{ collapsibleGroups, defaultCollapsed, groupMembers, groupTree }} from "{lib}/groups.ts";
export {{
  layoutGraph, GroupedLayouts, collapsibleGroups, defaultCollapsed, groupMembers, groupTree,
}};
"""

BUILD = """
const {{ build }} = require("rolldown");
build({{
  input: {entry!r},
  output: {{ file: {out!r}, format: "iife", name: "LS" }},
  logLevel: "silent",
}}).then(() => process.exit(0), (e) => {{ console.error(e); process.exit(1); }});
"""

# Runs in the page: median milliseconds of each case over `repeat` cold runs.
MEASURE = """([graph, repeat]) => {
  const ms = (f) => { const t = performance.now(); f(); return performance.now() - t; };
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const groups = LS.collapsibleGroups(graph);
  const folded = LS.defaultCollapsed(graph);
  const members = LS.groupMembers(graph);
  const size = (g) => (members.get(g) ?? []).length;
  const biggest = groups.reduce((a, g) => (size(g) > size(a) ? g : a), groups[0]);
  const other = groups.find((x) => x !== biggest && size(x) === size(biggest)) ?? biggest;
  // The biggest part of a group (its attention), or the group itself when it has none.
  const tree = LS.groupTree(graph);
  const part = (g) =>
    (tree.children.get(g) ?? []).reduce(
      (a, c) => ((tree.members.get(c) ?? []).length > (tree.members.get(a) ?? []).length ? c : a),
      (tree.children.get(g) ?? [])[0] ?? g,
    );
  const without = (set, ...gs) => new Set([...set].filter((x) => !gs.includes(x)));
  const out = {
    whole: [], folded: [], openOne: [], openPart: [], openOther: [], warm: [], openWarm: [],
    openAll: [], recompose: [],
  };
  for (let i = 0; i < repeat; i++) {
    out.whole.push(ms(() => LS.layoutGraph(graph, { rankdir: "BT" })));
    const g = new LS.GroupedLayouts();
    out.folded.push(ms(() => {
      g.skeleton(graph, { rankdir: "BT" });
      g.skeleton(graph, { rankdir: "RL" });
      g.layout(graph, folded, { rankdir: "BT" });
    }));
    const open = without(folded, biggest);
    out.openOne.push(ms(() => g.layout(graph, open, { rankdir: "BT" })));
    out.openPart.push(
      ms(() => g.layout(graph, without(open, part(biggest)), { rankdir: "BT" })),
    );
    const open2 = without(folded, other, part(other));
    out.openOther.push(ms(() => g.layout(graph, open2, { rankdir: "BT" })));
    const w = new LS.GroupedLayouts();
    w.layout(graph, folded, { rankdir: "BT" });
    out.warm.push(ms(() => { while (w.warmOne(graph, "BT")); }));
    out.openWarm.push(ms(() => w.layout(graph, open2, { rankdir: "BT" })));
    out.openAll.push(ms(() => g.layout(graph, new Set(), { rankdir: "BT" })));
    out.recompose.push(ms(() => g.layout(graph, open, { rankdir: "BT" })));
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}"""


def _fixture_model() -> Any:
    path = ROOT / "tests" / "backend" / "_tiny_transformer.py"
    spec = importlib.util.spec_from_file_location("tiny_transformer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bundle(workdir: Path) -> str:
    entry = workdir / "entry.ts"
    entry.write_text(ENTRY.format(lib=GRAPH_LIB.as_posix()))
    out = workdir / "bundle.js"
    script = BUILD.format(entry=str(entry), out=str(out))
    subprocess.run(["node", "-e", script], cwd=FRONTEND, check=True)
    return out.read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, nargs="+", default=[2, 6, 14])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model = _fixture_model()
    graphs = [(b, model.transformer_graph(layers=b)[0]) for b in args.blocks]
    with tempfile.TemporaryDirectory() as tmp:
        bundle = _bundle(Path(tmp))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=bundle)
        print(f"Chromium {browser.version}; median of {args.repeat} cold runs, ms")
        header = (
            "blocks",
            "nodes",
            "edges",
            "dagre whole",
            "folded",
            "open one",
            "open part",
            "open other",
            "warm-up",
            "open warm",
            "open all",
            "recompose",
        )
        print(
            "{:>6} {:>6} {:>6} {:>12} {:>8} {:>9} {:>9} {:>10} {:>8} {:>9} {:>9} {:>10}".format(
                *header
            )
        )
        for blocks, graph in graphs:
            page.evaluate(MEASURE, [graph, 1])  # warm the JIT
            r = page.evaluate(MEASURE, [graph, args.repeat])
            print(
                f"{blocks:>6} {len(graph['nodes']):>6} {len(graph['edges']):>6}"
                f" {r['whole']:>12.1f} {r['folded']:>8.1f} {r['openOne']:>9.1f}"
                f" {r['openPart']:>9.1f}"
                f" {r['openOther']:>10.1f} {r['warm']:>8.1f} {r['openWarm']:>9.1f}"
                f" {r['openAll']:>9.1f} {r['recompose']:>10.1f}"
            )
        browser.close()


if __name__ == "__main__":
    main()
