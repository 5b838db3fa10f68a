// The autograd graph grouped by module (pure): which groups each node belongs to and which
// start collapsed (folding them is fold.ts).
//
// A top-level group is a child of the model (`lm_head`, `criterion`), or one element of a
// ModuleList / Sequential (`blocks.0`): the unit a learner reads a network by. Groups nest
// by module path: a group of more than COLLAPSE_ABOVE nodes (a transformer block, ~70) has
// its submodules as groups of its own (`blocks.0.attn`, `blocks.0.mlp`, `blocks.0.ln1`),
// so opening it shows them folded; a smaller group (attention, ~50) opens into its nodes.
import type { GraphEvent } from "../wire/protocol";

/**
 * Graphs of more nodes than this open with their groups collapsed, and groups of more
 * nodes than this open into their own sub-groups, collapsed. At the readable zoom
 * (graphview.ts, 0.75) a panel of about 900 × 500 px shows some 40–60 nodes; the built-in
 * scenarios stay well below (linear 6, mlp and classify a few dozen) and are drawn whole as
 * before, while a 2-block transformer (several hundred) would show a tenth of itself.
 */
export const COLLAPSE_ABOVE = 60;
/** Groups this small are never collapsed: a box would hide as much as it saves. */
export const MIN_GROUP = 3;

export const GROUP_PREFIX = "group:";

/** The group of a module path: its first name, and the index after it for containers. */
export function groupOf(module: string | null | undefined): string | null {
  if (!module) return null;
  const [first, second] = module.split(".");
  if (first === undefined || first === "") return null;
  return second !== undefined && /^\d+$/.test(second) ? `${first}.${second}` : first;
}

/** Node ids of each group, groups sorted by name, nodes in the graph's order. */
export function groupMembers(graph: GraphEvent): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const g = groupOf(n.module);
    if (g === null) continue;
    const list = out.get(g);
    if (list) list.push(n.id);
    else out.set(g, [n.id]);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** Groups that can be collapsed: big enough, and not the loss's own (the root stays seen). */
export function collapsibleGroups(graph: GraphEvent): string[] {
  const rootNode = graph.nodes.find((n) => n.id === graph.root);
  const rootGroup = groupOf(rootNode?.module);
  return [...groupMembers(graph)]
    .filter(([g, ids]) => ids.length >= MIN_GROUP && g !== rootGroup)
    .map(([g]) => g);
}

/** The groups collapsed when a graph is first shown: every group, above COLLAPSE_ABOVE nodes. */
export function defaultCollapsed(graph: GraphEvent): Set<string> {
  return new Set(graph.nodes.length > COLLAPSE_ABOVE ? groupTree(graph).members.keys() : []);
}

/** The groups of a graph as a tree by module path ("" is the graph itself). */
export interface GroupTree {
  /** The groups directly under each group, sorted by name; "" holds the top-level ones. */
  children: Map<string, string[]>;
  /** The group each group sits in ("" for a top-level one). */
  parent: Map<string, string>;
  /** Every node id inside each group, at any depth, in the graph's order. */
  members: Map<string, string[]>;
  /** The groups holding each node, outermost first (empty for a node in no group). */
  chain: Map<string, string[]>;
}

const trees = new WeakMap<GraphEvent, GroupTree>();

/** The group tree of a graph (computed once per graph event). */
export function groupTree(graph: GraphEvent): GroupTree {
  const known = trees.get(graph);
  if (known) return known;
  const tree: GroupTree = {
    children: new Map(),
    parent: new Map(),
    members: new Map(),
    chain: new Map(),
  };
  const moduleOf = new Map(graph.nodes.map((n) => [n.id, n.module ?? ""]));
  const top = collapsibleGroups(graph);
  const all = groupMembers(graph);
  const add = (group: string, parent: string, ids: string[]): void => {
    tree.parent.set(group, parent);
    tree.members.set(group, ids);
    for (const id of ids) tree.chain.set(id, [...(tree.chain.get(id) ?? []), group]);
    const inside = ids.length > COLLAPSE_ABOVE ? subgroups(group, ids, moduleOf, graph.root) : [];
    tree.children.set(
      group,
      inside.map(([g]) => g),
    );
    for (const [g, sub] of inside) add(g, group, sub);
  };
  tree.children.set("", top);
  for (const id of graph.nodes.map((n) => n.id)) tree.chain.set(id, []);
  for (const g of top) add(g, "", all.get(g) ?? []);
  trees.set(graph, tree);
  return tree;
}

/**
 * The groups one module level below `group` (its submodules), each with its node ids; a
 * submodule holding every node of the group stands aside for its own submodules.
 */
function subgroups(
  group: string,
  ids: readonly string[],
  moduleOf: ReadonlyMap<string, string>,
  root: string,
): [string, string[]][] {
  const by = new Map<string, string[]>();
  for (const id of ids) {
    const module = moduleOf.get(id) ?? "";
    if (!module.startsWith(`${group}.`)) continue;
    const next = module.slice(group.length + 1).split(".")[0] as string;
    const child = `${group}.${next}`;
    const list = by.get(child);
    if (list) list.push(id);
    else by.set(child, [id]);
  }
  const only = by.size === 1 ? [...by][0] : undefined;
  if (only && only[1].length === ids.length) return subgroups(only[0], ids, moduleOf, root);
  return [...by]
    .filter(([, sub]) => sub.length >= MIN_GROUP && !sub.includes(root))
    .sort(([a], [b]) => a.localeCompare(b));
}

/** The name a group is shown by: its path below the group it sits in (`attn` in `blocks.0`). */
export function groupLabel(tree: GroupTree, group: string): string {
  const parent = tree.parent.get(group) ?? "";
  return parent && group.startsWith(`${parent}.`) ? group.slice(parent.length + 1) : group;
}

/** The part of `graph` inside one group: its nodes and the edges between them. */
export function subgraph(graph: GraphEvent, ids: readonly string[]): GraphEvent {
  const inside = new Set(ids);
  return {
    ...graph,
    nodes: graph.nodes.filter((n) => inside.has(n.id)),
    edges: graph.edges.filter((e) => inside.has(e.source) && inside.has(e.target)),
    tensors: Object.fromEntries(Object.entries(graph.tensors).filter(([, id]) => inside.has(id))),
  };
}

/** Named tensors moved onto the seen node that holds them (a collapsed group's, if folded). */
export function tensorsToUnits(
  tensors: Record<string, string>,
  nodes: readonly { id: string; members?: readonly string[] }[],
): Record<string, string> {
  const unit = new Map<string, string>();
  for (const n of nodes) for (const m of n.members ?? []) unit.set(m, n.id);
  return Object.fromEntries(Object.entries(tensors).map(([k, id]) => [k, unit.get(id) ?? id]));
}
