import { describe, expect, it } from "vitest";
import { graphOf } from "../__fixtures__/graphs";
import {
  chooseRankdir,
  defaultScale,
  fitScale,
  followFocus,
  LayoutChooser,
  MAX_SCALE,
  MODULE_PALETTE,
  moduleColours,
  overflows,
  READABLE_SCALE,
  spinePoints,
  viewAt,
  VIEW_PAD,
  visibleShare,
} from "./graphview";
import type { Size } from "./graphview";
import { layoutGraph } from "./layout";
import type { GraphLayout, Rankdir } from "./layout";

// The graph panel's drawing area, measured in Chromium in English and Chinese: the caption
// and the module legend take a line more or less from phase to phase. `first`: its size
// when an MLP's graph first shows (after loss(), one-line caption, two-line legend).
const PANELS: Record<string, { views: Size[]; first: Size }> = {
  "1280x720": {
    views: [234, 249, 265, 268, 284].map((height) => ({ width: 527, height })),
    first: { width: 527, height: 249 },
  },
  "1440x900": {
    views: [249, 265, 268, 284, 303].map((height) => ({ width: 597, height })),
    first: { width: 597, height: 265 },
  },
  "1920x1080": {
    views: [284, 303].map((height) => ({ width: 808, height })),
    first: { width: 808, height: 284 },
  },
};

/** Node names (and their second line) are 16 px; the value line is 14 px. */
const OP_PX = 16;

function layouts(name: "linear" | "mlp" | "classify"): Record<Rankdir, GraphLayout> {
  const graph = graphOf(name);
  return {
    BT: layoutGraph(graph, { groupByModule: true, rankdir: "BT" }),
    RL: layoutGraph(graph, { groupByModule: true, rankdir: "RL" }),
  };
}

describe("default zoom", () => {
  it("fits a small graph, but never below readable nor above MAX_SCALE", () => {
    const view = { width: 600, height: 300 };
    expect(fitScale({ width: 290, height: 140 }, view)).toBeCloseTo(2, 6);
    expect(defaultScale({ width: 290, height: 140 }, view)).toBe(MAX_SCALE);
    expect(defaultScale({ width: 580, height: 280 }, view)).toBeCloseTo(1, 6);
    expect(defaultScale({ width: 580, height: 2800 }, view)).toBe(READABLE_SCALE);
    expect(overflows({ width: 580, height: 2800 }, view)).toBe(true);
    expect(overflows({ width: 580, height: 280 }, view)).toBe(false);
  });

  it("shows the share of the graph that fits at that zoom", () => {
    const view = { width: 600, height: 300 };
    expect(visibleShare({ width: 100, height: 100 }, view)).toBe(1);
    // At 0.75 a 1000 × 100 graph is 750 px wide; 580 of it fit.
    expect(visibleShare({ width: 1000, height: 100 }, view)).toBeCloseTo(580 / 750, 6);
  });

  it.each(Object.entries(PANELS))("names are ≥ 12 px for every scenario at %s", (_, panel) => {
    for (const name of ["linear", "mlp", "classify"] as const) {
      const sizes = layouts(name);
      for (const view of panel.views) {
        const shown = sizes[chooseRankdir(sizes, view)];
        const k = defaultScale(shown, view);
        expect(k * OP_PX, `${name} in ${view.width}×${view.height}`).toBeGreaterThanOrEqual(12);
      }
    }
  });

  it("shows the whole linear graph at a readable zoom in every panel", () => {
    // Its module legend is short: the view is at least 268 px tall. With 16 px names (12 px
    // on screen at the readable zoom) the whole graph needs a view 284 px tall.
    const sizes = layouts("linear");
    for (const panel of Object.values(PANELS)) {
      for (const view of panel.views) {
        if (view.height >= 284) expect(overflows(sizes.BT, view)).toBe(false);
      }
    }
  });
});

describe("chooseRankdir", () => {
  const deep = { BT: { width: 460, height: 1200 }, RL: { width: 1300, height: 180 } };

  it("lays a deep graph out right to left in a wide panel, bottom to top in a tall one", () => {
    expect(chooseRankdir(deep, { width: 1000, height: 280 })).toBe("RL");
    expect(chooseRankdir(deep, { width: 500, height: 900 })).toBe("BT");
  });

  it("keeps BT when both directions show about as much (the notes' picture)", () => {
    const even = { BT: { width: 460, height: 600 }, RL: { width: 1300, height: 180 } };
    const view = { width: 600, height: 284 };
    expect(visibleShare(even.RL, view)).toBeGreaterThan(visibleShare(even.BT, view));
    expect(chooseRankdir(even, view)).toBe("BT");
  });

  it("keeps the direction shown unless the other is much better", () => {
    const sizes = { BT: { width: 460, height: 600 }, RL: { width: 1300, height: 180 } };
    // One caption line less room: RL shows about a third more, not enough to turn.
    const shorter = { width: 600, height: 230 };
    expect(visibleShare(sizes.RL, shorter)).toBeGreaterThan(1.2 * visibleShare(sizes.BT, shorter));
    expect(chooseRankdir(sizes, shorter, "BT")).toBe("BT");
    expect(chooseRankdir(sizes, { width: 600, height: 284 }, "RL")).toBe("RL");
    expect(chooseRankdir(deep, { width: 500, height: 900 }, "RL")).toBe("BT");
  });

  it("keeps the linear graph bottom to top in every panel", () => {
    const sizes = layouts("linear");
    for (const panel of Object.values(PANELS)) {
      for (const view of panel.views) expect(chooseRankdir(sizes, view)).toBe("BT");
    }
  });

  it("turns the MLPs right to left in the wide 1920x1080 panel only", () => {
    for (const name of ["mlp", "classify"] as const) {
      const sizes = layouts(name);
      for (const [screen, panel] of Object.entries(PANELS)) {
        const want = screen === "1920x1080" ? "RL" : "BT";
        // Chosen when the graph first shows, the direction holds while captions change.
        expect(chooseRankdir(sizes, panel.first), `${name} ${screen}`).toBe(want);
        for (const view of panel.views) {
          expect(chooseRankdir(sizes, view, want), `${name} ${screen}`).toBe(want);
        }
      }
    }
  });
});

describe("viewAt", () => {
  const view = { width: 600, height: 300 };

  it("centres an axis the graph fits on, whatever the focus", () => {
    const t = viewAt({ width: 400, height: 200 }, view, 1, { x: 0, y: 0 });
    expect(t).toEqual({ k: 1, x: 100, y: 50 });
  });

  it("centres the focus on an axis the graph overflows", () => {
    const t = viewAt({ width: 400, height: 2000 }, view, 1, { x: 0, y: 1000 });
    expect(t.y).toBe(150 - 1000);
    expect(t.x).toBe(100);
  });

  it("never scrolls past the graph's ends", () => {
    const graph = { width: 400, height: 2000 };
    expect(viewAt(graph, view, 1, { x: 0, y: 0 }).y).toBe(VIEW_PAD);
    expect(viewAt(graph, view, 1, { x: 0, y: 2000 }).y).toBe(300 - VIEW_PAD - 2000);
    expect(viewAt(graph, view, 0.5, { x: 0, y: 2000 }).y).toBe(300 - VIEW_PAD - 1000);
  });
});

describe("following the animation", () => {
  const graph = graphOf("mlp");
  const cases = (["BT", "RL"] as const).map((rankdir) => ({
    rankdir,
    layout: layoutGraph(graph, { groupByModule: true, rankdir }),
  }));
  const order = [
    "MseLossBackward0",
    "AddmmBackward0",
    "AccumulateGrad:layers.4.bias",
    "TBackward0",
  ].filter((id) => cases[0]?.layout.nodes.some((n) => n.id === id));

  it.each(cases)(
    "$rankdir: the spine runs from the leaves' end to the loss",
    ({ rankdir, layout }) => {
      const spine = spinePoints(layout, graph.root);
      const root = layout.nodes.find((n) => n.id === graph.root);
      expect(spine).toHaveLength((root?.level ?? -1) + 1);
      expect(spine.at(-1)).toEqual({ x: root?.x, y: root?.y });
      const along = spine.map((p) => (rankdir === "BT" ? p.y : p.x));
      for (let i = 1; i < along.length; i++) {
        expect(along[i] as number).toBeGreaterThan(along[i - 1] as number);
      }
    },
  );

  it.each(cases)("$rankdir: forward sweeps towards y_pred, loss reaches the root", (c) => {
    const spine = spinePoints(c.layout, graph.root);
    const at = (phase: "forward" | "loss", t: number) =>
      followFocus({ layout: c.layout, root: graph.root, phase, t, maxForwardLevel: 6, order });
    expect(at("forward", 0)).toEqual(spine[0]);
    expect(at("forward", 1)).toEqual(spine[6]);
    const along = (t: number) => {
      const p = at("forward", t);
      return c.rankdir === "BT" ? (p?.y ?? NaN) : (p?.x ?? NaN);
    };
    expect(along(0.5)).toBeGreaterThan(along(0.25));
    expect(along(0.75)).toBeGreaterThan(along(0.5));
    expect(at("loss", 1)).toEqual(spine[7]);
  });

  it.each(cases)("$rankdir: backward follows the engine's order", (c) => {
    const byId = new Map(c.layout.nodes.map((n) => [n.id, n]));
    const at = (t: number) =>
      followFocus({
        layout: c.layout,
        root: graph.root,
        phase: "backward",
        t,
        maxForwardLevel: 6,
        order,
      });
    const first = byId.get(order[0] as string);
    const last = byId.get(order.at(-1) as string);
    expect(at(0)).toEqual({ x: first?.x, y: first?.y });
    expect(at(1)).toEqual({ x: last?.x, y: last?.y });
    // Halfway through the second node's slot, the view is on that node.
    const second = byId.get(order[1] as string);
    expect(at(1.5 / order.length)).toEqual({ x: second?.x, y: second?.y });
  });

  it("holds still in phases that do not change the graph", () => {
    const layout = cases[0]?.layout as GraphLayout;
    for (const phase of ["zero_grad", "step", null] as const) {
      const input = { layout, root: graph.root, phase, t: 0.5, maxForwardLevel: 6, order };
      expect(followFocus(input)).toBeNull();
    }
  });
});

describe("LayoutChooser", () => {
  const options = { groupByModule: true, dataTensors: ["x", "y"] };

  it("lays a topology out once and picks the direction its view shows best", () => {
    const chooser = new LayoutChooser();
    const graph = graphOf("mlp");
    const wide = PANELS["1920x1080"]?.first as Size;
    const first = chooser.pick(graph, options, wide);
    expect(first.rankdir).toBe("RL");
    // The next iteration's graph event: same topology, the same layout object.
    expect(chooser.pick(structuredClone(graph), options, wide)).toBe(first);
    expect(chooser.pick(graph, { ...options, groupByModule: false }, wide)).not.toBe(first);
  });

  it("keeps the direction shown while the panel changes a little", () => {
    const chooser = new LayoutChooser();
    const graph = graphOf("mlp");
    const sizes = layouts("mlp");
    // Between these two views RL is better, but not by enough to turn a graph shown BT.
    const view = { width: 700, height: 250 };
    const better = visibleShare(sizes.RL, view) / visibleShare(sizes.BT, view);
    expect(better).toBeGreaterThan(1.1);
    expect(better).toBeLessThan(1.4);
    expect(chooser.pick(graph, options, { width: 500, height: 900 }).rankdir).toBe("BT");
    expect(chooser.pick(graph, options, view).rankdir).toBe("BT");
    expect(new LayoutChooser().pick(graph, options, view).rankdir).toBe("RL");
  });
});

describe("moduleColours", () => {
  it("gives each module a palette colour in order, repeating after ten", () => {
    const modules = Array.from({ length: 11 }, (_, i) => `layers.${i}`);
    const colours = moduleColours(modules);
    expect(colours.get("layers.0")).toBe(MODULE_PALETTE[0]);
    expect(colours.get("layers.9")).toBe(MODULE_PALETTE[9]);
    expect(colours.get("layers.10")).toBe(MODULE_PALETTE[0]);
    expect(new Set(modules.slice(0, 10).map((m) => colours.get(m))).size).toBe(10);
  });
});
