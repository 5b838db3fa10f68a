import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { transformerGraph } from "../__fixtures__/graphs";
import { loadFixture } from "../__fixtures__/load";
import { LoopStore } from "../store/state.svelte";
import { FRAME_LABEL, GroupedLayouts } from "./grouplayout";
import {
  collapsibleGroups,
  defaultCollapsed,
  groupMembers,
  groupTree,
  tensorsToUnits,
} from "./groups";
import { graphLevels } from "./phaseview";
import type { GraphLayout, LayoutEdge, LayoutNode, Rankdir } from "./layout";

const tf = transformerGraph();
const folded = defaultCollapsed(tf);
const without = (set: ReadonlySet<string>, g: string) => new Set([...set].filter((x) => x !== g));

function overlapping(nodes: readonly LayoutNode[]): [string, string] | null {
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i] as LayoutNode;
      const b = nodes[j] as LayoutNode;
      const apart =
        Math.abs(a.x - b.x) >= (a.width + b.width) / 2 - 0.01 ||
        Math.abs(a.y - b.y) >= (a.height + b.height) / 2 - 0.01;
      if (!apart) return [a.id, b.id];
    }
  }
  return null;
}

const at = (layout: GraphLayout) => new Map(layout.nodes.map((n) => [n.id, n]));

const tree = groupTree(tf);
const main = (rankdir: Rankdir, n: LayoutNode) =>
  rankdir === "BT" ? n.y - n.height / 2 : n.x - n.width / 2;

/**
 * What opening `g` may do to the units seen before: those in ranks before its box (at any
 * level) do not move, the others move along one axis only, by one of at most `shifts`
 * vectors (one per level it sits in: later ranks, later units in its rank).
 */
function expectStable(
  rankdir: Rankdir,
  before: GraphLayout,
  after: GraphLayout,
  g: string,
  shifts: number,
): Set<string> {
  const was = at(before);
  const now = at(after);
  const box = was.get(`group:${g}`) as LayoutNode;
  const seen = new Set<string>();
  for (const [id, n] of was) {
    if (id === `group:${g}`) continue;
    const m = now.get(id) as LayoutNode;
    const dx = m.x - n.x;
    const dy = m.y - n.y;
    if (main(rankdir, n) < main(rankdir, box) - 0.5) expect([id, dx, dy]).toEqual([id, 0, 0]);
    expect(dx === 0 || dy === 0).toBe(true);
    seen.add(`${dx.toFixed(3)},${dy.toFixed(3)}`);
  }
  expect(seen.size).toBeLessThanOrEqual(shifts);
  expect(overlapping(after.nodes)).toBeNull();
  expect(after.topology).toBe(before.topology);
  expect(after.key).not.toBe(before.key);
  return seen;
}

/** Every one of `ids` is seen inside the frame of opened group `g`: itself or in a box. */
function expectInsideFrame(layout: GraphLayout, g: string, ids: readonly string[]): void {
  const frame = layout.clusters.find((c) => c.group === g);
  if (!frame) throw new Error(`${g} has no frame`);
  const unit = new Map<string, LayoutNode>();
  for (const n of layout.nodes) {
    unit.set(n.id, n);
    for (const m of n.members ?? []) unit.set(m, n);
  }
  for (const id of ids) {
    const m = unit.get(id) as LayoutNode;
    expect(m.x - m.width / 2).toBeGreaterThanOrEqual(frame.x - 0.01);
    expect(m.y - m.height / 2).toBeGreaterThanOrEqual(frame.y + FRAME_LABEL - 0.01);
    expect(m.x + m.width / 2).toBeLessThanOrEqual(frame.x + frame.width + 0.01);
    expect(m.y + m.height / 2).toBeLessThanOrEqual(frame.y + frame.height + 0.01);
  }
}

/** The first node other than its ends whose inside one of the edge's segments crosses. */
function throughNode(e: LayoutEdge, nodes: readonly LayoutNode[]): string | null {
  const inset = 2;
  for (const n of nodes) {
    if (n.id === e.source || n.id === e.target) continue;
    const x0 = n.x - n.width / 2 + inset;
    const x1 = n.x + n.width / 2 - inset;
    const y0 = n.y - n.height / 2 + inset;
    const y1 = n.y + n.height / 2 - inset;
    for (let i = 1; i < e.points.length; i++) {
      const a = e.points[i - 1] as { x: number; y: number };
      const b = e.points[i] as { x: number; y: number };
      // Sample the segment: routes here are axis-aligned or dagre's short spline hops.
      for (let k = 0; k <= 20; k++) {
        const x = a.x + ((b.x - a.x) * k) / 20;
        const y = a.y + ((b.y - a.y) * k) / 20;
        if (x > x0 && x < x1 && y > y0 && y < y1) return n.id;
      }
    }
  }
  return null;
}

describe.each(["BT", "RL"] as Rankdir[])("grouped layout, rankdir %s", (rankdir) => {
  const layouts = new GroupedLayouts();
  const closed = layouts.layout(tf, folded, { rankdir });

  it("draws each folded top-level group as one node standing for its members", () => {
    const groups = closed.nodes.filter((n) => n.kind === "group");
    expect(groups.map((n) => n.module).sort()).toEqual(collapsibleGroups(tf).sort());
    for (const g of groups) expect(g.members).toEqual(groupMembers(tf).get(g.module ?? ""));
    expect(overlapping(closed.nodes)).toBeNull();
    const ids = new Set(closed.nodes.map((n) => n.id));
    for (const e of closed.edges) expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
  });

  it.each(collapsibleGroups(tf))("opening %s moves nothing before it, the rest as blocks", (g) => {
    const open = layouts.layout(tf, without(folded, g), { rankdir });
    expectStable(rankdir, closed, open, g, 3);
    expectInsideFrame(open, g, groupMembers(tf).get(g) ?? []);
    // A block opens into its sub-groups, folded; a smaller group into its nodes.
    const subs = tree.children.get(g) ?? [];
    const boxes = open.nodes.filter((n) => n.kind === "group").map((n) => n.module);
    for (const s of subs) expect(boxes).toContain(s);
    if (!subs.length) {
      for (const id of groupMembers(tf).get(g) ?? []) expect(at(open).has(id)).toBe(true);
    }
    // Folding it again gives back the same picture.
    expect(layouts.layout(tf, folded, { rankdir }).nodes).toEqual(closed.nodes);
  });

  it("opens attention inside an opened block without moving what is before it", () => {
    const block = layouts.layout(tf, without(folded, "blocks.0"), { rankdir });
    const sub = block.nodes.filter((n) => n.kind === "group" && n.module?.startsWith("blocks.0."));
    expect(sub.map((n) => n.op).sort()).toEqual(["attn", "ln1", "ln2", "mlp"]);
    const both = without(without(folded, "blocks.0"), "blocks.0.attn");
    const attn = layouts.layout(tf, both, { rankdir });
    // Two levels: the block's later ranks / later units, and the graph's.
    expectStable(rankdir, block, attn, "blocks.0.attn", 5);
    const members = tree.members.get("blocks.0.attn") ?? [];
    expectInsideFrame(attn, "blocks.0.attn", members);
    expectInsideFrame(attn, "blocks.0", members);
    for (const id of members) expect(at(attn).get(id)?.kind).not.toBe("group");
    // The other block moves as one piece: its inside keeps its shape.
    const was = at(block);
    const now = at(attn);
    const moves = new Set(
      [...was.values()]
        .filter((n) => n.module?.startsWith("blocks.1"))
        .map((n) => {
          const m = now.get(n.id) as LayoutNode;
          return `${(m.x - n.x).toFixed(3)},${(m.y - n.y).toFixed(3)}`;
        }),
    );
    expect(moves.size).toBe(1);
    // Folding attention gives the block's picture back; opening it again is cached.
    expect(layouts.layout(tf, without(folded, "blocks.0"), { rankdir }).nodes).toEqual(block.nodes);
    expect(layouts.layout(tf, both, { rankdir }).nodes).toEqual(attn.nodes);
  });

  it("opens everything without overlaps, with every real edge drawn once", () => {
    const all = layouts.layout(tf, new Set(), { rankdir });
    expect(all.nodes.length).toBe(
      tf.nodes.length + all.nodes.filter((n) => n.kind === "data").length,
    );
    expect(overlapping(all.nodes)).toBeNull();
    const drawn = all.edges.filter((e) => e.kind === "grad").map((e) => `${e.source}#${e.slot}`);
    expect(drawn.sort()).toEqual(tf.edges.map((e) => `${e.source}#${e.slot}`).sort());
    expect(all.edges.every((e) => !e.via)).toBe(true);
    // Every group is open, nested ones inside their parent's frame.
    expect(all.clusters.map((c) => c.group).sort()).toEqual([...tree.members.keys()].sort());
    for (const [g, parent] of tree.parent) {
      if (parent) expectInsideFrame(all, parent, tree.members.get(g) ?? []);
    }
  });

  it("draws each edge once and names it uniquely, whatever is open", () => {
    for (const open of [
      folded,
      without(folded, "blocks.1"),
      without(without(folded, "blocks.1"), "blocks.1.mlp"),
    ]) {
      const laid = layouts.layout(tf, open, { rankdir });
      const ids = laid.edges.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const carried = laid.edges.flatMap((e) => e.via ?? [e.source]);
      expect(carried.length).toBeGreaterThan(0);
    }
  });

  it("routes the gradient's way between units round the units in between", () => {
    const opened = [
      without(folded, "blocks.0"),
      without(without(folded, "blocks.0"), "blocks.0.attn"),
      without(without(folded, "blocks.1"), "blocks.1.mlp"),
    ];
    let detours = 0;
    for (const open of opened) {
      const laid = layouts.layout(tf, open, { rankdir });
      for (const e of laid.edges) {
        const hit = throughNode(e, laid.nodes);
        expect(hit, `${e.id} → ${e.target} runs through ${hit ?? ""}`).toBeNull();
        const axisAligned = e.points.every((p, k) => {
          const q = e.points[k - 1];
          return !q || p.x === q.x || p.y === q.y;
        });
        if (e.points.length === 14 && axisAligned) detours++;
      }
    }
    // The residual connections skip a block's attention and MLP: they go round.
    expect(detours).toBeGreaterThan(0);
  });

  it("gives forward levels on the seen graph: a node's level is above its targets'", () => {
    for (const laid of [closed, layouts.layout(tf, without(folded, "blocks.0"), { rankdir })]) {
      const level = new Map(laid.nodes.map((n) => [n.id, n.level]));
      for (const e of laid.edges) {
        expect(level.get(e.source) as number).toBeGreaterThan(level.get(e.target) as number);
      }
    }
  });
});

describe("the transformer's graph arriving through the store", () => {
  it("is shown folded, the forward pass reaching the folded groups", () => {
    const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
    const session = loadFixture("mlp").frames.find((f) => f.type === "session");
    if (!session) throw new Error("mlp fixture has no session");
    store.handle(session);
    store.handle(tf);
    const graph = store.view.graph;
    expect(graph).toBe(tf);
    if (!graph) return;
    const layout = new GroupedLayouts().layout(graph, defaultCollapsed(graph), { rankdir: "BT" });
    const tensors = tensorsToUnits(graph.tensors, layout.nodes);
    const levels = graphLevels(layout, { ...graph, tensors });
    // y_pred is made inside lm_head: the forward pass ends at its folded box, and every
    // block's box is built by model(x) before it.
    expect(tensors.y_pred).toBe("group:lm_head");
    for (const g of ["group:blocks.0", "group:blocks.1", "group:lm_head"]) {
      expect(levels.forward.has(g)).toBe(true);
    }
    expect(levels.forward.has(graph.root)).toBe(false);
  });
});

describe("groups of one shape", () => {
  it("share one layout, each with its own nodes, names and edges", () => {
    const layouts = new GroupedLayouts();
    const [a, b] = ["blocks.0.attn", "blocks.1.attn"].map((g) => layouts.inner(tf, g, "BT"));
    if (!a || !b) throw new Error("no attention");
    const real = new Map(tf.nodes.map((n) => [n.id, n]));
    // Every node of an attention's layout is one of its members, with the name torch gave it.
    for (const [g, laid] of [
      ["blocks.0.attn", a],
      ["blocks.1.attn", b],
    ] as const) {
      const members = tree.members.get(g) ?? [];
      expect(laid.nodes.map((n) => n.id).sort()).toEqual([...members].sort());
      for (const n of laid.nodes) {
        expect(n.op).toBe(real.get(n.id)?.op);
        expect(n.param).toBe(real.get(n.id)?.param ?? null);
        expect(n.module).toBe(real.get(n.id)?.module ?? null);
        if (n.kind === "leaf") expect(n.sub).toBe(n.param);
      }
      const inside = new Set(members);
      const edges = tf.edges.filter((e) => inside.has(e.source) && inside.has(e.target));
      expect(laid.edges.map((e) => `${e.source}>${e.target}#${e.slot}`).sort()).toEqual(
        edges.map((e) => `${e.source}>${e.target}#${e.slot}`).sort(),
      );
    }
    // The two are the same shape: node k of one sits where node k of the other does.
    const place = (laid: GraphLayout, g: string) =>
      (tree.members.get(g) ?? []).map((id) => {
        const n = laid.nodes.find((m) => m.id === id) as LayoutNode;
        return [n.x, n.y];
      });
    expect(place(b, "blocks.1.attn")).toEqual(place(a, "blocks.0.attn"));
    expect(overlapping(a.nodes)).toBeNull();
  });

  it("lay a block's inside out as its sub-groups folded, one shape for both blocks", () => {
    const layouts = new GroupedLayouts();
    const [a, b] = ["blocks.0", "blocks.1"].map((g) => layouts.inner(tf, g, "RL"));
    if (!a || !b) throw new Error("no blocks");
    for (const [g, laid] of [
      ["blocks.0", a],
      ["blocks.1", b],
    ] as const) {
      const boxes = laid.nodes.filter((n) => n.id.startsWith("group:"));
      expect(boxes.map((n) => n.module)).toEqual(
        expect.arrayContaining(tree.children.get(g) ?? []),
      );
      expect(boxes.map((n) => n.op).sort()).toEqual(["attn", "ln1", "ln2", "mlp"]);
      // Its own nodes (the residual adds) are drawn as they are.
      const own = tf.nodes.filter((n) => n.module === g).map((n) => n.id);
      expect(own.length).toBeGreaterThan(0);
      for (const id of own) expect(laid.nodes.some((n) => n.id === id)).toBe(true);
    }
    const centre = (laid: GraphLayout) => laid.nodes.map((n) => [n.op, n.x, n.y]);
    expect(centre(b)).toEqual(centre(a));
  });

  it("are laid out ahead, one per call, until every group, nested ones too, is ready", () => {
    const layouts = new GroupedLayouts();
    const probe = new GroupedLayouts();
    let calls = 0;
    while (layouts.warmOne(tf, "RL")) calls++;
    expect(calls).toBe(tree.members.size);
    expect(layouts.warmOne(tf, "RL")).toBe(false);
    // What warming laid out is what opening a group then uses, nested ones too.
    for (const g of ["blocks.1", "blocks.1.attn"]) {
      expect(layouts.inner(tf, g, "RL")).toEqual(probe.inner(tf, g, "RL"));
    }
  });
});
