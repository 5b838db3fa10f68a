import { describe, expect, it } from "vitest";
import { graphOf, transformerGraph } from "../__fixtures__/graphs";
import { foldedGroup, foldGraph } from "./fold";
import {
  COLLAPSE_ABOVE,
  collapsibleGroups,
  defaultCollapsed,
  groupLabel,
  groupMembers,
  groupOf,
  groupTree,
  MIN_GROUP,
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

  it("folds the transformer's groups except the loss's own, and the blocks' sub-groups", () => {
    expect(tf.nodes.length).toBeGreaterThan(COLLAPSE_ABOVE);
    const folded = defaultCollapsed(tf);
    expect(folded.has("blocks.0")).toBe(true);
    expect(folded.has("blocks.1")).toBe(true);
    expect(folded.has("blocks.0.attn")).toBe(true);
    const rootModule = tf.nodes.find((n) => n.id === tf.root)?.module;
    expect(folded.has(groupOf(rootModule) ?? "?")).toBe(false);
    expect([...folded].sort()).toEqual([...groupTree(tf).members.keys()].sort());
    for (const g of collapsibleGroups(tf)) expect(folded.has(g)).toBe(true);
  });

  it("puts every node with a module in exactly one group", () => {
    const all = [...groupMembers(tf).values()].flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(tf.nodes.filter((n) => groupOf(n.module) !== null).length);
  });
});

describe("the group tree", () => {
  const tree = groupTree(tf);
  const moduleOf = new Map(tf.nodes.map((n) => [n.id, n.module ?? ""]));

  it("nests a block's submodules under it, and nothing under a group that opens whole", () => {
    expect(tree.children.get("")).toEqual(collapsibleGroups(tf));
    const block = tree.members.get("blocks.0") ?? [];
    expect(block.length).toBeGreaterThan(COLLAPSE_ABOVE);
    expect(tree.children.get("blocks.0")).toEqual([
      "blocks.0.attn",
      "blocks.0.ln1",
      "blocks.0.ln2",
      "blocks.0.mlp",
    ]);
    // Attention (q, k, v, scores, mask, softmax, the projections) is small enough to open
    // into its nodes: its query/key/value Linears are not groups of their own.
    const attn = tree.members.get("blocks.0.attn") ?? [];
    expect(attn.length).toBeGreaterThan(MIN_GROUP);
    expect(attn.length).toBeLessThanOrEqual(COLLAPSE_ABOVE);
    expect(tree.children.get("blocks.0.attn")).toEqual([]);
    expect(tree.members.has("blocks.0.attn.query")).toBe(false);
    expect(tree.parent.get("blocks.0.attn")).toBe("blocks.0");
    expect(groupLabel(tree, "blocks.0.attn")).toBe("attn");
    expect(groupLabel(tree, "blocks.0")).toBe("blocks.0");
  });

  it("holds in each group the nodes its module's path reaches, each node in a chain", () => {
    for (const [g, ids] of tree.members) {
      const mine = tf.nodes
        .filter((n) => n.module === g || n.module?.startsWith(`${g}.`))
        .map((n) => n.id);
      expect(ids).toEqual(mine);
      // A sub-group's nodes are its parent's.
      const parent = tree.parent.get(g) ?? "";
      if (parent) for (const id of ids) expect(tree.members.get(parent)).toContain(id);
    }
    for (const n of tf.nodes) {
      const chain = tree.chain.get(n.id) ?? [];
      for (const g of chain) expect(tree.members.get(g)).toContain(n.id);
      for (let i = 1; i < chain.length; i++)
        expect(tree.parent.get(chain[i] ?? "")).toBe(chain[i - 1]);
      expect(chain.length).toBeLessThanOrEqual(2);
      if (moduleOf.get(n.id)?.startsWith("blocks.1.mlp.")) {
        expect(chain).toEqual(["blocks.1", "blocks.1.mlp"]);
      }
    }
  });

  it("steps over a module that holds all of a group's nodes", () => {
    // A model whose only child wraps everything: `body` > `body.core` > two big halves.
    const chain = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${prefix}${i}`,
        op: "AddBackward0",
        module: prefix,
        param: null,
        saved: [],
      }));
    const nodes = [...chain("body.core.a", 40), ...chain("body.core.b", 40), ...chain("loss", 1)];
    const edges = nodes
      .slice(1)
      .map((n, i) => ({ source: n.id, target: nodes[i]?.id ?? "", slot: 0 }));
    const g = {
      ...tf,
      graph_id: "wrapped",
      nodes,
      edges,
      root: "loss0",
      tensors: { loss: "loss0" },
    };
    const t = groupTree(g);
    expect(t.children.get("")).toEqual(["body"]);
    expect(t.children.get("body")).toEqual(["body.core.a", "body.core.b"]);
    expect(groupLabel(t, "body.core.a")).toBe("core.a");
  });

  it("sees a node as the outermost collapsed group holding it", () => {
    const q = tf.nodes.find((n) => n.module === "blocks.0.attn.query") as { id: string };
    expect(foldedGroup(tree, q.id, new Set(["blocks.0", "blocks.0.attn"]))).toBe("blocks.0");
    expect(foldedGroup(tree, q.id, new Set(["blocks.0.attn"]))).toBe("blocks.0.attn");
    expect(foldedGroup(tree, q.id, new Set(["blocks.1"]))).toBeNull();
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
    // Only outermost groups are seen: a block's sub-groups are inside its box.
    expect(folded.members.has("group:blocks.0.attn")).toBe(false);
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

  it("shows a block's sub-groups folded when the block is open, edges merged between them", () => {
    const open = foldGraph(tf, new Set([...collapsed].filter((g) => g !== "blocks.0")));
    const tree = groupTree(tf);
    const inner = ["blocks.0.attn", "blocks.0.ln1", "blocks.0.ln2", "blocks.0.mlp"];
    for (const g of inner) {
      expect(open.members.get(`group:${g}`)).toEqual(tree.members.get(g));
      const node = open.graph.nodes.find((n) => n.id === `group:${g}`);
      expect(node?.op).toBe(g.replace("blocks.0.", ""));
      expect(node?.module).toBe(g);
    }
    expect(open.members.has("group:blocks.0")).toBe(false);
    // The gradient flows from the block's own residual adds into ln1 / attn / ln2 / mlp.
    const into = new Set(open.edges.map((e) => e.target));
    for (const g of inner) expect(into.has(`group:${g}`)).toBe(true);
    const carried = open.edges.flatMap((e) => e.via);
    expect(new Set(carried).size).toBe(carried.length);
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
