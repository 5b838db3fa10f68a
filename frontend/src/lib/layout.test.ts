import { describe, expect, it } from "vitest";
import { loadFixture } from "./__fixtures__/load";
import {
  boxesOverlap,
  edgePath,
  forwardLevels,
  layoutGraph,
  layoutKey,
  moduleBoxes,
  nodeWidth,
  pointAlong,
  reachable,
} from "./layout";
import type { GraphEvent } from "./protocol";

function graphOf(name: "linear" | "mlp"): GraphEvent {
  const g = loadFixture(name).frames.find((f): f is GraphEvent => f.type === "graph");
  if (!g) throw new Error(`${name} fixture has no graph frame`);
  return g;
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
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a.id >= b.id) continue;
        const apart =
          Math.abs(a.x - b.x) >= (a.width + b.width) / 2 ||
          Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
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
    expect(nodeWidth(["a"])).toBe(92);
    expect(nodeWidth(["AccumulateGrad", "layers.0.weight"])).toBeGreaterThan(92);
  });
});
