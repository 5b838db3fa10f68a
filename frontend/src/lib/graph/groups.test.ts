import { describe, expect, it } from "vitest";
import { graphOf, transformerGraph } from "../__fixtures__/graphs";
import {
  COLLAPSE_ABOVE,
  collapsibleGroups,
  defaultCollapsed,
  foldGraph,
  groupMembers,
  groupOf,
  subgraph,
  tensorsToUnits,
} from "./groups";

const tf = transformerGraph();

describe("groupOf", () => {
  it("keeps a top-level child, and a container's element with its index", () => {
    expect(groupOf("lm_head")).toBe("lm_head");
    expect(groupOf("blocks.1.attn.query")).toBe("blocks.1");
    expect(groupOf("layers.0")).toBe("layers.0");
    expect(groupOf("0")).toBe("0");
    expect(groupOf("encoder.attn")).toBe("encoder");
    expect(groupOf("")).toBeNull();
    expect(groupOf(null)).toBeNull();
  });
});

describe("which groups start folded", () => {
  it("folds nothing in the built-in scenarios' graphs", () => {
    for (const name of ["linear", "mlp", "classify"] as const) {
      const g = graphOf(name);
      expect(g.nodes.length).toBeLessThanOrEqual(COLLAPSE_ABOVE);
      expect(defaultCollapsed(g).size).toBe(0);
    }
  });

  it("folds the transformer's groups except the loss's own", () => {
    expect(tf.nodes.length).toBeGreaterThan(COLLAPSE_ABOVE);
    const folded = defaultCollapsed(tf);
    expect(folded.has("blocks.0")).toBe(true);
    expect(folded.has("blocks.1")).toBe(true);
    const rootModule = tf.nodes.find((n) => n.id === tf.root)?.module;
    expect(folded.has(groupOf(rootModule) ?? "?")).toBe(false);
    expect([...folded].sort()).toEqual(collapsibleGroups(tf).sort());
  });

  it("puts every node with a module in exactly one group", () => {
    const all = [...groupMembers(tf).values()].flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(tf.nodes.filter((n) => groupOf(n.module) !== null).length);
  });
});

describe("foldGraph", () => {
  const collapsed = defaultCollapsed(tf);
  const folded = foldGraph(tf, collapsed);

  it("accounts for every real edge: inside a folded group, or in exactly one seen edge", () => {
    const carried = folded.edges.flatMap((e) => e.via);
    expect(new Set(carried).size).toBe(carried.length);
    for (const e of tf.edges) {
      const s = folded.unitOf.get(e.source);
      const t = folded.unitOf.get(e.target);
      expect(carried.includes(e)).toBe(s !== t);
    }
  });

  it("draws no edge from a unit to itself and merges parallel ones", () => {
    const pairs = folded.edges.map((e) => `${e.source}>${e.target}#${e.slot}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    for (const e of folded.edges) expect(e.source).not.toBe(e.target);
    const ids = new Set(folded.graph.nodes.map((n) => n.id));
    for (const e of folded.edges) {
      expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
    }
    expect(folded.edges.some((e) => e.via.length > 1)).toBe(true);
  });

  it("keeps unfolded nodes and names each folded group's members", () => {
    for (const [id, members] of folded.members) {
      const group = id.replace("group:", "");
      expect(collapsed.has(group)).toBe(true);
      expect(members).toEqual(groupMembers(tf).get(group));
    }
    expect(folded.graph.nodes.length).toBe(
      tf.nodes.length - [...folded.members.values()].flat().length + folded.members.size,
    );
    expect(folded.graph.tensors.loss).toBe(tf.root);
  });

  it("folds nothing with an empty set", () => {
    const same = foldGraph(tf, new Set());
    expect(same.graph.nodes).toEqual(tf.nodes);
    expect(same.graph.edges).toEqual(tf.edges);
  });

  it("moves named tensors onto the group that holds them", () => {
    const yPred = tf.tensors.y_pred as string;
    const unit = folded.unitOf.get(yPred) as string;
    const nodes = folded.graph.nodes.map((n) => ({ id: n.id, members: folded.members.get(n.id) }));
    expect(tensorsToUnits(tf.tensors, nodes).y_pred).toBe(unit);
    expect(folded.graph.tensors.y_pred).toBe(unit);
  });
});

describe("subgraph", () => {
  it("keeps one group's nodes and only the edges between them", () => {
    const ids = groupMembers(tf).get("blocks.0") ?? [];
    const sub = subgraph(tf, ids);
    expect(sub.nodes.map((n) => n.id).sort()).toEqual([...ids].sort());
    const inside = new Set(ids);
    expect(sub.edges.every((e) => inside.has(e.source) && inside.has(e.target))).toBe(true);
    expect(sub.edges.length).toBe(
      tf.edges.filter((e) => inside.has(e.source) && inside.has(e.target)).length,
    );
  });
});
