import { describe, expect, it } from "vitest";
import { graphOf } from "../__fixtures__/graphs";
import {
  boxesOverlap,
  edgePath,
  forwardLevels,
  layoutGraph,
  layoutKey,
  MARGIN,
  moduleBoxes,
  NODE_H,
  nodeWidth,
  pointAlong,
  reachable,
} from "./layout";
import type { GraphLayout, LayoutNode, Point } from "./layout";
import type { GraphEvent } from "../wire/protocol";

/** How far p lies outside node n's box (0 when on or inside it). */
function outside(p: Point, n: LayoutNode): number {
  const dx = Math.max(0, Math.abs(p.x - n.x) - n.width / 2);
  const dy = Math.max(0, Math.abs(p.y - n.y) - n.height / 2);
  return Math.hypot(dx, dy);
}

/** How far p lies inside node n's box, from its nearest side (0 when outside). */
function inside(p: Point, n: LayoutNode): number {
  const dx = n.width / 2 - Math.abs(p.x - n.x);
  const dy = n.height / 2 - Math.abs(p.y - n.y);
  return Math.max(0, Math.min(dx, dy));
}

function expectNoOverlaps(layout: GraphLayout): void {
  for (const a of layout.nodes) {
    for (const b of layout.nodes) {
      if (a.id >= b.id) continue;
      const apart =
        Math.abs(a.x - b.x) >= (a.width + b.width) / 2 ||
        Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
      expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
    }
  }
}

describe("layoutGraph on the linear scenario's real graph", () => {
  const graph = graphOf("linear");
  const layout = layoutGraph(graph);
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));

  it("keeps every autograd node and edge, and adds the data tensors x and y", () => {
    for (const n of graph.nodes) expect(byId.has(n.id)).toBe(true);
    expect(byId.get("data:x")?.kind).toBe("data");
    expect(byId.get("data:y")?.kind).toBe("data");
    expect(layout.edges.filter((e) => e.kind === "grad")).toHaveLength(graph.edges.length);
    expect(layout.edges.filter((e) => e.kind === "data")).toHaveLength(2);
  });

  it("marks leaves, tensors and levels", () => {
    const w = byId.get("AccumulateGrad:linear.weight");
    expect(w?.kind).toBe("leaf");
    expect(w?.sub).toBe("linear.weight");
    expect(w?.level).toBe(0);
    expect(byId.get("AddmmBackward0")?.tensors).toEqual(["y_pred"]);
    expect(byId.get("MseLossBackward0")?.tensors).toEqual(["loss"]);
    expect(byId.get("MseLossBackward0")?.level).toBe(3);
  });

  it("puts the loss at the bottom and the leaves above it (forward reads downwards)", () => {
    const root = byId.get(graph.root);
    for (const n of layout.nodes) {
      expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
      if (n.id !== graph.root) expect(n.y).toBeLessThan(root?.y ?? -Infinity);
    }
    expect(byId.get("AccumulateGrad:linear.weight")?.y).toBeLessThan(
      byId.get("TBackward0")?.y ?? 0,
    );
  });

  it("gives every edge a path through its points", () => {
    for (const e of layout.edges) {
      expect(e.points.length).toBeGreaterThanOrEqual(2);
      expect(e.path.startsWith("M")).toBe(true);
    }
  });

  it("does not move when the same topology comes again in another order", () => {
    const shuffled: GraphEvent = {
      ...graph,
      graph_id: "other",
      nodes: [...graph.nodes].reverse(),
      edges: [...graph.edges].reverse(),
    };
    expect(layoutKey(shuffled)).toBe(layoutKey(graph));
    const again = layoutGraph(shuffled);
    expect(again.nodes.map((n) => [n.id, n.x, n.y])).toEqual(
      layout.nodes.map((n) => [n.id, n.x, n.y]),
    );
  });

  it("draws module boxes around the nodes each module made", () => {
    const grouped = layoutGraph(graph, { groupByModule: true });
    const modules = grouped.clusters.map((c) => c.module);
    expect(modules).toEqual(["criterion", "linear"]);
    const box = grouped.clusters.find((c) => c.module === "linear");
    const addmm = grouped.nodes.find((n) => n.id === "AddmmBackward0");
    expect(box && addmm).toBeTruthy();
    if (box && addmm) {
      expect(addmm.x).toBeGreaterThan(box.x);
      expect(addmm.x).toBeLessThan(box.x + box.width);
      expect(addmm.y).toBeGreaterThan(box.y);
      expect(addmm.y).toBeLessThan(box.y + box.height);
    }
  });
});

describe("layoutGraph on the mlp scenario", () => {
  it("lays out all 15 nodes without overlaps, colouring modules instead of boxing them", () => {
    const graph = graphOf("mlp");
    const layout = layoutGraph(graph, { groupByModule: true });
    expect(layout.nodes.filter((n) => n.kind !== "data")).toHaveLength(graph.nodes.length);
    // A layer's weight chain sits beside the previous layer: boxes would overlap.
    expect(boxesOverlap(moduleBoxes(layout.nodes))).toBe(true);
    expect(layout.clusters).toEqual([]);
    expect(layout.modules).toContain("layers.2");
    expectNoOverlaps(layout);
  });
});

describe("layoutGraph in both rank directions", () => {
  const cases = (["linear", "mlp", "classify"] as const).flatMap((name) =>
    (["BT", "RL"] as const).map((rankdir) => ({ name, rankdir })),
  );

  it.each(cases)("$name $rankdir: the loss at the end, every edge leaving its source", (c) => {
    const graph = graphOf(c.name);
    const layout = layoutGraph(graph, { groupByModule: true, rankdir: c.rankdir });
    expect(layout.rankdir).toBe(c.rankdir);
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    // Edges go from the loss towards the leaves: "BT" draws them upwards, "RL" leftwards.
    const along = (n: LayoutNode) => (c.rankdir === "BT" ? n.y : n.x);
    for (const e of layout.edges) {
      const s = byId.get(e.source) as LayoutNode;
      const t = byId.get(e.target) as LayoutNode;
      expect(along(s), `${e.id} → ${e.target}`).toBeGreaterThan(along(t));
    }
    const root = byId.get(graph.root) as LayoutNode;
    for (const n of layout.nodes) if (n !== root) expect(along(n)).toBeLessThan(along(root));
    expectNoOverlaps(layout);
  });

  it.each(cases)("$name $rankdir: edges start and end on their nodes' boxes", (c) => {
    const layout = layoutGraph(graphOf(c.name), { groupByModule: true, rankdir: c.rankdir });
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    for (const e of layout.edges) {
      const first = e.points[0] as Point;
      const last = e.points.at(-1) as Point;
      const s = byId.get(e.source) as LayoutNode;
      const t = byId.get(e.target) as LayoutNode;
      // On the border (not in the middle of the box, not floating away from it).
      expect(outside(first, s), `${e.id} start`).toBeLessThan(1);
      expect(inside(first, s), `${e.id} start`).toBeLessThan(1);
      expect(outside(last, t), `${e.id} end`).toBeLessThan(1);
      expect(inside(last, t), `${e.id} end`).toBeLessThan(1);
      // The dot the views move along the edge starts and ends there too.
      expect(pointAlong(e.points, 0)).toEqual(first);
      expect(pointAlong(e.points, 1)).toEqual(last);
    }
  });

  it.each(cases)("$name $rankdir: the drawing starts at the margin and fits its size", (c) => {
    const layout = layoutGraph(graphOf(c.name), { groupByModule: true, rankdir: c.rankdir });
    const xs = layout.nodes.flatMap((n) => [n.x - n.width / 2, n.x + n.width / 2]);
    const ys = layout.nodes.flatMap((n) => [n.y - n.height / 2, n.y + n.height / 2]);
    for (const e of layout.edges) for (const p of e.points) (xs.push(p.x), ys.push(p.y));
    for (const b of layout.clusters) (xs.push(b.x, b.x + b.width), ys.push(b.y, b.y + b.height));
    expect(Math.min(...xs)).toBeCloseTo(MARGIN, 6);
    expect(Math.min(...ys)).toBeCloseTo(MARGIN, 6);
    expect(Math.max(...xs) + MARGIN).toBeCloseTo(layout.width, 6);
    expect(Math.max(...ys) + MARGIN).toBeCloseTo(layout.height, 6);
    for (const n of layout.nodes) expect(n.height).toBe(NODE_H);
  });

  it("keeps the linear scenario's module boxes, room for their names included", () => {
    const layout = layoutGraph(graphOf("linear"), { groupByModule: true });
    expect(layout.clusters.map((c) => c.module)).toEqual(["criterion", "linear"]);
    expect(Math.min(...layout.clusters.map((c) => c.y))).toBeCloseTo(MARGIN, 6);
  });

  it("a deep graph is long along its ranks: tall in BT, wide in RL", () => {
    const graph = graphOf("mlp");
    const bt = layoutGraph(graph, { rankdir: "BT" });
    const rl = layoutGraph(graph, { rankdir: "RL" });
    expect(bt.height).toBeGreaterThan(bt.width);
    expect(rl.width).toBeGreaterThan(2 * rl.height);
    // Same nodes and levels either way; only the positions differ.
    expect(rl.nodes.map((n) => [n.id, n.level, n.width])).toEqual(
      bt.nodes.map((n) => [n.id, n.level, n.width]),
    );
  });

  it("gives another batch size another layout key (its data nodes' shapes differ)", () => {
    const graph = graphOf("linear");
    const batch10 = {
      ...graph,
      nodes: graph.nodes.map((n) => ({
        ...n,
        saved: n.saved.map((s) => (s.tensor === "x" ? { ...s, shape: [10, 1] } : s)),
      })),
    };
    expect(batch10.nodes.some((n) => n.saved.some((s) => s.tensor === "x"))).toBe(true);
    expect(layoutKey(batch10)).not.toBe(layoutKey(graph));
    const x = layoutGraph(batch10).nodes.find((n) => n.id === "data:x");
    expect(x?.sub).toBe("(10, 1)");
  });

  it("gives each direction its own layout key, stable for the same topology", () => {
    const graph = graphOf("mlp");
    expect(layoutKey(graph, { rankdir: "RL" })).not.toBe(layoutKey(graph));
    expect(layoutKey(graph, { rankdir: "BT" })).toBe(layoutKey(graph));
    const shuffled = { ...graph, nodes: [...graph.nodes].reverse() };
    const a = layoutGraph(graph, { rankdir: "RL" });
    const b = layoutGraph(shuffled, { rankdir: "RL" });
    expect(b.key).toBe(a.key);
    expect(b.nodes.map((n) => [n.id, n.x, n.y])).toEqual(a.nodes.map((n) => [n.id, n.x, n.y]));
  });
});

describe("moduleBoxes", () => {
  const node = (id: string, module: string, x: number, y: number) => ({
    id,
    kind: "op" as const,
    op: id,
    sub: null,
    param: null,
    module,
    tensors: [],
    level: 0,
    x,
    y,
    width: 100,
    height: 50,
  });

  it("pads each module's nodes and nests submodules inside their parent", () => {
    const boxes = moduleBoxes([node("a", "net.0", 0, 0), node("b", "net", 200, 0)]);
    expect(boxes.map((b) => b.module)).toEqual(["net", "net.0"]);
    expect(boxes[0]?.width).toBeGreaterThan(300);
    expect(boxesOverlap(boxes)).toBe(false);
  });

  it("notices siblings that intersect", () => {
    const boxes = moduleBoxes([node("a", "l1", 0, 0), node("b", "l2", 60, 0)]);
    expect(boxesOverlap(boxes)).toBe(true);
  });
});

describe("graph helpers", () => {
  const edges = [
    { source: "loss", target: "mm" },
    { source: "mm", target: "w" },
    { source: "mm", target: "t" },
    { source: "t", target: "b" },
  ];

  it("levels count up from the leaves", () => {
    const levels = forwardLevels(["loss", "mm", "w", "t", "b"], edges);
    expect(Object.fromEntries(levels)).toEqual({ loss: 3, mm: 2, w: 0, t: 1, b: 0 });
  });

  it("finds what a tensor's node depends on", () => {
    expect([...reachable("mm", edges)].sort()).toEqual(["b", "mm", "t", "w"]);
  });

  it("walks along a polyline by length", () => {
    const pts = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 10 },
    ];
    expect(pointAlong(pts, 0)).toEqual({ x: 0, y: 0 });
    expect(pointAlong(pts, 0.25)).toEqual({ x: 5, y: 0 });
    expect(pointAlong(pts, 0.75)).toEqual({ x: 10, y: 5 });
    expect(pointAlong(pts, 2)).toEqual({ x: 10, y: 10 });
    expect(pointAlong([], 0.5)).toEqual({ x: 0, y: 0 });
    expect(edgePath(pts).startsWith("M0,0")).toBe(true);
  });

  it("sizes nodes from their longest line", () => {
    expect(nodeWidth(["a"])).toBe(88);
    expect(nodeWidth(["AccumulateGrad", "layers.0.weight"])).toBeGreaterThan(88);
  });
});
