// The graph seen when some module groups are collapsed (pure): each collapsed group one
// node, the edges between units merged. With nested groups a node is seen as the
// outermost collapsed group holding it (groups.ts builds the tree).
import { groupLabel, groupTree, GROUP_PREFIX } from "./groups";
import type { GroupTree } from "./groups";
import type { GraphEdge, GraphEvent, GraphNode } from "../wire/protocol";

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

/** The group a node is seen as: the outermost collapsed one holding it, if any. */
export function foldedGroup(
  tree: GroupTree,
  id: string,
  collapsed: ReadonlySet<string>,
): string | null {
  return tree.chain.get(id)?.find((g) => collapsed.has(g)) ?? null;
}

/**
 * Fold collapsed groups: their nodes become one node (op = the group's name below its
 * parent, module = its path), edges inside them vanish, and edges between two units merge
 * into one (slot = its rank among the source unit's edges, `via` = what it merged). Named
 * tensors point at their unit. `graph` may be part of `tree`'s graph (one group's inside).
 */
export function foldGraph(
  graph: GraphEvent,
  collapsed: ReadonlySet<string>,
  tree: GroupTree = groupTree(graph),
): FoldedGraph {
  const unitOf = new Map<string, string>();
  const members = new Map<string, string[]>();
  const nodes: GraphNode[] = [];
  for (const n of graph.nodes) {
    const g = foldedGroup(tree, n.id, collapsed);
    if (g === null) {
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
      nodes.push({ id, op: groupLabel(tree, g), module: g, param: null, saved: [] });
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
