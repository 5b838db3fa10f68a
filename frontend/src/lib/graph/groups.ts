// The autograd graph grouped by module (pure): which group each node belongs to, which
// groups start collapsed, and the graph that is seen when some groups are collapsed —
// each collapsed group one node, the edges between units aggregated.
//
// A group is a top-level child of the model (`lm_head`, `criterion`), or one element of a
// ModuleList / Sequential (`blocks.0`): the unit a learner reads a network by. One level
// only: a transformer block stays one box until it is opened.
import type { GraphEdge, GraphEvent, GraphNode } from "../wire/protocol";

/**
 * Graphs of more nodes than this open with their groups collapsed. At the readable zoom
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

/** The groups collapsed when a graph is first shown: all of them above COLLAPSE_ABOVE nodes. */
export function defaultCollapsed(graph: GraphEvent): Set<string> {
  return new Set(graph.nodes.length > COLLAPSE_ABOVE ? collapsibleGroups(graph) : []);
}

/** An edge of the seen graph; `via` lists the real edges it stands for (one, unless merged). */
export interface UnitEdge extends GraphEdge {
  via: GraphEdge[];
}

/** The graph with `collapsed` groups folded into one node each (id `group:<name>`). */
export interface FoldedGraph {
  graph: GraphEvent;
  edges: UnitEdge[];
  /** Unit of every real node: its own id, or its collapsed group's node id. */
  unitOf: Map<string, string>;
  /** Member node ids of each collapsed group's node. */
  members: Map<string, string[]>;
}

/**
 * Fold collapsed groups: their nodes become one node (op = the group's name), edges inside
 * them vanish, and edges between two units merge into one (slot = its rank among the
 * source unit's edges, `via` = what it merged). Named tensors point at their unit.
 */
export function foldGraph(graph: GraphEvent, collapsed: ReadonlySet<string>): FoldedGraph {
  const unitOf = new Map<string, string>();
  const members = new Map<string, string[]>();
  const nodes: GraphNode[] = [];
  for (const n of graph.nodes) {
    const g = groupOf(n.module);
    if (g === null || !collapsed.has(g)) {
      unitOf.set(n.id, n.id);
      nodes.push(n);
      continue;
    }
    const id = `${GROUP_PREFIX}${g}`;
    unitOf.set(n.id, id);
    const list = members.get(id);
    if (list) list.push(n.id);
    else {
      members.set(id, [n.id]);
      nodes.push({ id, op: g, module: g, param: null, saved: [] });
    }
  }
  const merged = new Map<string, UnitEdge>();
  const slots = new Map<string, number>();
  for (const e of graph.edges) {
    const source = unitOf.get(e.source) ?? e.source;
    const target = unitOf.get(e.target) ?? e.target;
    if (source === target) continue;
    const real = source === e.source && target === e.target;
    const key = real ? `${source}#${e.slot}` : `${source}>${target}`;
    const known = merged.get(key);
    if (known) {
      known.via.push(e);
      continue;
    }
    // A merged edge's slot counts down from -1000 so it never meets a real slot.
    const slot = real ? e.slot : -1000 - (slots.get(source) ?? 0);
    if (!real) slots.set(source, (slots.get(source) ?? 0) + 1);
    merged.set(key, { source, target, slot, via: [e] });
  }
  const edges = [...merged.values()];
  const tensors = Object.fromEntries(
    Object.entries(graph.tensors).map(([name, id]) => [name, unitOf.get(id) ?? id]),
  );
  return {
    graph: {
      ...graph,
      nodes,
      edges: edges.map(({ source, target, slot }) => ({ source, target, slot })),
      tensors,
    },
    edges,
    unitOf,
    members,
  };
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
