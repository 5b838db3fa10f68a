import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { transformerGraph } from "../__fixtures__/graphs";
import { loadFixture } from "../__fixtures__/load";
import { LoopStore } from "../store/state.svelte";
import { FRAME_LABEL, GroupedLayouts } from "./grouplayout";
import { collapsibleGroups, defaultCollapsed, groupMembers, tensorsToUnits } from "./groups";
import { graphLevels } from "./phaseview";
import type { GraphLayout, LayoutNode, Rankdir } from "./layout";

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

describe.each(["BT", "RL"] as Rankdir[])("grouped layout, rankdir %s", (rankdir) => {
  const layouts = new GroupedLayouts();
  const closed = layouts.layout(tf, folded, { rankdir });

  it("draws each folded group as one node standing for its members", () => {
    const groups = closed.nodes.filter((n) => n.kind === "group");
    expect(groups.map((n) => n.op).sort()).toEqual([...folded].sort());
    for (const g of groups) expect(g.members).toEqual(groupMembers(tf).get(g.op));
    expect(overlapping(closed.nodes)).toBeNull();
    const ids = new Set(closed.nodes.map((n) => n.id));
    for (const e of closed.edges) expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
  });

  it.each(collapsibleGroups(tf))("opening %s moves nothing before it, the rest as blocks", (g) => {
    const open = layouts.layout(tf, without(folded, g), { rankdir });
    const before = at(closed);
    const after = at(open);
    const box = before.get(`group:${g}`) as LayoutNode;
    const main = (n: LayoutNode) => (rankdir === "BT" ? n.y - n.height / 2 : n.x - n.width / 2);
    const shifts = new Set<string>();
    for (const [id, n] of before) {
      if (id === `group:${g}`) continue;
      const m = after.get(id) as LayoutNode;
      const dx = m.x - n.x;
      const dy = m.y - n.y;
      // Earlier ranks do not move at all.
      if (main(n) < main(box) - 0.5) expect([id, dx, dy]).toEqual([id, 0, 0]);
      // Later ranks move along the rank axis only; the group's own rank across it only.
      expect(dx === 0 || dy === 0).toBe(true);
      shifts.add(`${dx.toFixed(3)},${dy.toFixed(3)}`);
    }
    // One shift for all later ranks, one for the group's rank after it (and none at all).
    expect(shifts.size).toBeLessThanOrEqual(3);
    // Its members are drawn, inside its frame, none on another node.
    const frame = open.clusters.find((c) => c.group === g);
    expect(frame).toBeDefined();
    for (const id of groupMembers(tf).get(g) ?? []) {
      const m = after.get(id) as LayoutNode;
      expect(m.x - m.width / 2).toBeGreaterThanOrEqual((frame?.x ?? 0) - 0.01);
      expect(m.y - m.height / 2).toBeGreaterThanOrEqual((frame?.y ?? 0) + FRAME_LABEL - 0.01);
      expect(m.x + m.width / 2).toBeLessThanOrEqual((frame?.x ?? 0) + (frame?.width ?? 0) + 0.01);
    }
    expect(overlapping(open.nodes)).toBeNull();
    // Folding it again gives back the same picture.
    const again = layouts.layout(tf, folded, { rankdir });
    expect(again.nodes).toEqual(closed.nodes);
    expect(open.topology).toBe(closed.topology);
    expect(open.key).not.toBe(closed.key);
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
  });

  it("gives forward levels on the seen graph: a node's level is above its targets'", () => {
    const level = new Map(closed.nodes.map((n) => [n.id, n.level]));
    for (const e of closed.edges) {
      expect(level.get(e.source) as number).toBeGreaterThan(level.get(e.target) as number);
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
    const members = groupMembers(tf);
    const [a, b] = ["blocks.0", "blocks.1"].map((g) =>
      layouts.inner(tf, g, members.get(g) ?? [], "BT"),
    );
    if (!a || !b) throw new Error("no blocks");
    // Every node of a block's layout is one of its members, with the name torch gave it.
    for (const [g, laid] of [
      ["blocks.0", a],
      ["blocks.1", b],
    ] as const) {
      expect(laid.nodes.map((n) => n.id).sort()).toEqual([...(members.get(g) ?? [])].sort());
      const real = new Map(tf.nodes.map((n) => [n.id, n]));
      for (const n of laid.nodes) {
        expect(n.op).toBe(real.get(n.id)?.op);
        expect(n.param).toBe(real.get(n.id)?.param ?? null);
        expect(n.module).toBe(real.get(n.id)?.module ?? null);
        if (n.kind === "leaf") expect(n.sub).toBe(n.param);
      }
      const inside = new Set(members.get(g));
      const edges = tf.edges.filter((e) => inside.has(e.source) && inside.has(e.target));
      expect(laid.edges.map((e) => `${e.source}>${e.target}#${e.slot}`).sort()).toEqual(
        edges.map((e) => `${e.source}>${e.target}#${e.slot}`).sort(),
      );
    }
    // The two blocks are the same shape: node k of one sits where node k of the other does.
    const place = (laid: GraphLayout, g: string) =>
      (members.get(g) ?? []).map((id) => {
        const n = laid.nodes.find((m) => m.id === id) as LayoutNode;
        return [n.x, n.y];
      });
    expect(place(b, "blocks.1")).toEqual(place(a, "blocks.0"));
    expect(overlapping(a.nodes)).toBeNull();
  });

  it("are laid out ahead, one per call, until every group is ready", () => {
    const layouts = new GroupedLayouts();
    let calls = 0;
    while (layouts.warmOne(tf, "RL")) calls++;
    expect(calls).toBe(collapsibleGroups(tf).length);
    expect(layouts.warmOne(tf, "RL")).toBe(false);
    // What warming laid out is what opening a group then uses.
    const members = groupMembers(tf);
    const warmed = layouts.inner(tf, "blocks.1", members.get("blocks.1") ?? [], "RL");
    const fresh = new GroupedLayouts().inner(tf, "blocks.1", members.get("blocks.1") ?? [], "RL");
    expect(warmed).toEqual(fresh);
  });
});
