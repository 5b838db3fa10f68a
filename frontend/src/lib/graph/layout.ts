// The autograd graph laid out with dagre (pure: graph in, positions out).
//
// Edges keep autograd's direction: `source.next_functions[slot]` is `target`, so
// gradients flow source → target. With rankdir "BT" the root (the loss) sits at the
// bottom and the leaves (parameters' AccumulateGrad, the data x and y) at the top:
// the forward pass reads top to bottom, backward climbs back up. With "RL" (for deep
// graphs in a wide panel, see graphview.ts) the loss sits on the right: forward reads
// left to right, backward runs back leftwards.
import dagre from "@dagrejs/dagre";
import { curveCatmullRom, line } from "d3-shape";
import type { GraphEvent, GraphNode } from "../wire/protocol";
import { formatShape } from "../util/tensor";

/** "group": a collapsed module group standing for its nodes (groups.ts). */
export type NodeKind = "op" | "leaf" | "data" | "group";

export interface Point {
  x: number;
  y: number;
}

export interface LayoutNode {
  id: string;
  kind: NodeKind;
  op: string;
  /** Second line under the op: the parameter an AccumulateGrad fills, or a data tensor's name. */
  sub: string | null;
  param: string | null;
  module: string | null;
  /** Named forward tensors this node made ("y_pred", "loss"). */
  tensors: string[];
  /** Longest path down to a leaf: 0 for leaves; the forward pass builds level by level. */
  level: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** For a collapsed group: the ids of the nodes inside it. */
  members?: readonly string[];
}

export interface LayoutEdge {
  id: string;
  source: string;
  target: string;
  slot: number;
  /** "grad": a next_functions link; "data": a saved data tensor feeding an op (no gradient). */
  kind: "grad" | "data";
  points: Point[];
  path: string;
  /** For an edge merged from several (into or out of a collapsed group): their sources. */
  via?: readonly string[];
}

export interface LayoutCluster {
  module: string;
  /** Set on an opened module group's frame (the frame then offers to collapse it). */
  group?: string;
  /** The frame's name when it is shorter than the group's path (`attn` inside `blocks.0`). */
  label?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphLayout {
  key: string;
  /** Equal for layouts of one graph that differ only in which groups are open: the view
   * keeps its place across them (defaults to key). */
  topology?: string;
  rankdir: Rankdir;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  /** Boxes around each module's nodes, when grouping and no two boxes would overlap. */
  clusters: LayoutCluster[];
  /** Every module that made a node, sorted: when boxes would overlap, views colour by it. */
  modules: string[];
  /** Size of everything drawn (nodes, edges, boxes) plus MARGIN; it all starts at MARGIN. */
  width: number;
  height: number;
}

export interface LayoutOptions {
  /** Draw a box around the nodes each module's forward produced (GraphNode.module). */
  groupByModule?: boolean;
  /** Saved tensors with these names get a data node of their own (default x and y). */
  dataTensors?: readonly string[];
  /** "BT" (default): the loss at the bottom, leaves on top; "RL": the loss on the right. */
  rankdir?: Rankdir;
  /** dagre's ranking ("network-simplex" by default; "longest-path" is far faster on big
   * graphs, at the price of longer edges). */
  ranker?: "network-simplex" | "tight-tree" | "longest-path";
}

export type Rankdir = "BT" | "RL";

// Node names are 16 px monospace (0.6 em a character), so they read at 12 px or more at
// the smallest default zoom (graphview READABLE_SCALE, 0.75); three lines 14-16 px apart.
const CHAR_W = 9.6;
export const NODE_H = 52;
const PAD_X = 14;
const MIN_W = 88;
/** Empty space around the drawing, in layout units. */
export const MARGIN = 8;

// Ranks 32 apart in "BT" leave room for a module box's name between two boxes (the linear
// scenario keeps its boxes). In "RL" ranks are columns of wide nodes: the gaps between
// them are just wide enough for the gradient shape an edge is labelled with, "(128, 16)".
const SPACING: Record<Rankdir, { nodesep: number; ranksep: number; edgesep: number }> = {
  BT: { nodesep: 20, ranksep: 32, edgesep: 12 },
  RL: { nodesep: 16, ranksep: 50, edgesep: 8 },
};

/** A node's box width from its longest text line (no DOM measuring: stable and testable). */
export function nodeWidth(lines: readonly (string | null)[]): number {
  const longest = Math.max(0, ...lines.map((l) => (l ? l.length : 0)));
  return Math.max(MIN_W, Math.ceil(longest * CHAR_W + 2 * PAD_X));
}

/** A key equal for graphs with the same topology: same key, same layout. */
export function layoutKey(graph: GraphEvent, options: LayoutOptions = {}): string {
  const nodes = graph.nodes.map((n) => `${n.id}|${n.module ?? ""}|${dataNames(n, options)}`);
  const edges = graph.edges.map((e) => `${e.source}>${e.target}#${e.slot}`);
  return JSON.stringify([
    nodes.sort(),
    edges.sort(),
    options.groupByModule ?? false,
    options.rankdir ?? "BT",
  ]);
}

/** The data tensors a node saved, with their shapes: a new batch size is a new label. */
function dataNames(node: GraphNode, options: LayoutOptions): string {
  const wanted = options.dataTensors ?? ["x", "y"];
  return node.saved
    .filter((s) => !!s.tensor && wanted.includes(s.tensor))
    .map((s) => `${s.tensor ?? ""}${JSON.stringify(s.shape ?? null)}`)
    .sort()
    .join(",");
}

/** Forward level of each node: 0 for nodes without next_functions, else 1 + max over targets. */
export function forwardLevels(
  ids: readonly string[],
  edges: readonly { source: string; target: string }[],
): Map<string, number> {
  const out = new Map<string, string[]>();
  for (const id of ids) out.set(id, []);
  for (const e of edges) out.get(e.source)?.push(e.target);
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // autograd graphs are acyclic; guard anyway
    visiting.add(id);
    let best = -1;
    for (const t of out.get(id) ?? []) best = Math.max(best, visit(t));
    visiting.delete(id);
    level.set(id, best + 1);
    return best + 1;
  };
  for (const id of ids) visit(id);
  return level;
}

/** Ids reachable from `start` along edges (including start): the graph behind one tensor. */
export function reachable(
  start: string,
  edges: readonly { source: string; target: string }[],
): Set<string> {
  const seen = new Set<string>([start]);
  const todo = [start];
  while (todo.length) {
    const id = todo.pop() as string;
    for (const e of edges) {
      if (e.source === id && !seen.has(e.target)) {
        seen.add(e.target);
        todo.push(e.target);
      }
    }
  }
  return seen;
}

const curve = line<Point>()
  .x((p) => p.x)
  .y((p) => p.y)
  .curve(curveCatmullRom.alpha(0.5));

/** SVG path through the points (passes through every point, so dots can follow the polyline). */
export function edgePath(points: readonly Point[]): string {
  return curve(points as Point[]) ?? "";
}

/** The point a fraction t ∈ [0, 1] along a polyline, by length. */
export function pointAlong(points: readonly Point[], t: number): Point {
  const first = points[0];
  if (!first) return { x: 0, y: 0 };
  const lengths: number[] = [];
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    const d = Math.hypot(b.x - a.x, b.y - a.y);
    lengths.push(d);
    total += d;
  }
  let want = Math.min(1, Math.max(0, t)) * total;
  for (let i = 1; i < points.length; i++) {
    const d = lengths[i - 1] as number;
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    if (want <= d || i === points.length - 1) {
      const f = d === 0 ? 1 : Math.min(1, want / d);
      return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
    }
    want -= d;
  }
  return { ...first };
}

const BOX_PAD = 8;
const BOX_LABEL = 13;

/**
 * One box per module around the nodes its forward made (and its submodules' nodes),
 * padded, with room above for the module's name.
 */
export function moduleBoxes(nodes: readonly LayoutNode[]): LayoutCluster[] {
  const modules = [...new Set(nodes.map((n) => n.module).filter((m): m is string => !!m))];
  return modules.sort().map((module) => {
    const inside = nodes.filter((n) => n.module === module || n.module?.startsWith(`${module}.`));
    const x0 = Math.min(...inside.map((n) => n.x - n.width / 2)) - BOX_PAD;
    const x1 = Math.max(...inside.map((n) => n.x + n.width / 2)) + BOX_PAD;
    const y0 = Math.min(...inside.map((n) => n.y - n.height / 2)) - BOX_PAD - BOX_LABEL;
    const y1 = Math.max(...inside.map((n) => n.y + n.height / 2)) + BOX_PAD;
    return { module, x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  });
}

/**
 * True when two boxes of modules that do not contain one another intersect. Layered
 * layouts put a layer's weight chain beside the previous layer's nodes, so an MLP's
 * boxes overlap; the view then colours nodes by module instead of boxing them.
 */
export function boxesOverlap(boxes: readonly LayoutCluster[]): boolean {
  for (const a of boxes) {
    for (const b of boxes) {
      if (a.module >= b.module) continue;
      if (b.module.startsWith(`${a.module}.`) || a.module.startsWith(`${b.module}.`)) continue;
      const apart =
        a.x + a.width <= b.x ||
        b.x + b.width <= a.x ||
        a.y + a.height <= b.y ||
        b.y + b.height <= a.y;
      if (!apart) return true;
    }
  }
  return false;
}

interface DagNode {
  width: number;
  height: number;
  x?: number;
  y?: number;
}

/** Lay the graph out; nodes and edges are inserted in sorted order so equal topologies match. */
export function layoutGraph(graph: GraphEvent, options: LayoutOptions = {}): GraphLayout {
  const wanted = options.dataTensors ?? ["x", "y"];
  const group = options.groupByModule ?? false;
  const rankdir = options.rankdir ?? "BT";
  // Module boxes are drawn around the laid-out nodes rather than as dagre clusters:
  // compound layouts spread a layered MLP diagonally, twice as wide and tall.
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({
    rankdir,
    ...SPACING[rankdir],
    marginx: 0,
    marginy: 0,
    ranker: options.ranker ?? "network-simplex",
  });
  g.setDefaultEdgeLabel(() => ({}));

  const nodes = [...graph.nodes].sort((a, b) => a.id.localeCompare(b.id));
  const made = new Map<string, string[]>();
  for (const [name, id] of Object.entries(graph.tensors)) {
    made.set(id, [...(made.get(id) ?? []), name]);
  }

  const info = new Map<string, Omit<LayoutNode, "x" | "y" | "level">>();
  const extraEdges: { source: string; target: string; slot: number }[] = [];
  for (const n of nodes) {
    const leaf = n.op === "AccumulateGrad";
    const sub = leaf ? (n.param ?? null) : null;
    const tensors = (made.get(n.id) ?? []).sort();
    const tag = tensors.length ? `→ ${tensors.join(", ")}` : null;
    info.set(n.id, {
      id: n.id,
      kind: leaf ? "leaf" : "op",
      op: n.op,
      sub: sub ?? tag,
      param: n.param ?? null,
      module: n.module ?? null,
      tensors,
      width: nodeWidth([n.op, sub ?? tag]),
      height: NODE_H,
    });
    n.saved.forEach((s, i) => {
      if (s.tensor && wanted.includes(s.tensor)) {
        const id = `data:${s.tensor}`;
        if (!info.has(id)) {
          info.set(id, {
            id,
            kind: "data",
            op: s.tensor,
            sub: s.shape ? formatShape(s.shape) : null,
            param: null,
            module: null,
            tensors: [],
            width: nodeWidth([s.tensor, s.shape ? formatShape(s.shape) : null]),
            height: NODE_H,
          });
        }
        extraEdges.push({ source: n.id, target: id, slot: -1 - i });
      }
    });
  }

  const ids = [...info.keys()].sort();
  for (const id of ids) {
    const n = info.get(id) as Omit<LayoutNode, "x" | "y" | "level">;
    g.setNode(id, { width: n.width, height: n.height } satisfies DagNode);
  }

  const allEdges = [
    ...[...graph.edges].map((e) => ({ ...e, kind: "grad" as const })),
    ...extraEdges.map((e) => ({ ...e, kind: "data" as const })),
  ].sort((a, b) =>
    a.source === b.source
      ? a.slot - b.slot || a.target.localeCompare(b.target)
      : a.source.localeCompare(b.source),
  );
  for (const e of allEdges) {
    const name = `${e.source}#${e.slot}`;
    g.setEdge(e.source, e.target, { minlen: 1, weight: e.kind === "grad" ? 2 : 1 }, name);
  }

  dagre.layout(g);

  const levels = forwardLevels(ids, allEdges);
  const placed: LayoutNode[] = ids.map((id) => {
    const n = info.get(id) as Omit<LayoutNode, "x" | "y" | "level">;
    const d = g.node(id) as DagNode;
    return { ...n, level: levels.get(id) ?? 0, x: d.x ?? 0, y: d.y ?? 0 };
  });
  const routes = allEdges.map((e) => {
    const label = g.edge(e.source, e.target, `${e.source}#${e.slot}`) as
      { points?: Point[] } | undefined;
    return { ...e, points: (label?.points ?? []).map((p) => ({ x: p.x, y: p.y })) };
  });
  const placedBoxes = group ? moduleBoxes(placed) : [];
  const drawnBoxes = boxesOverlap(placedBoxes) ? [] : placedBoxes;

  // Shift everything drawn (a box's name sits above its nodes) so it starts at MARGIN.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const n of placed) xs.push(n.x - n.width / 2, n.x + n.width / 2);
  for (const n of placed) ys.push(n.y - n.height / 2, n.y + n.height / 2);
  for (const e of routes) for (const p of e.points) (xs.push(p.x), ys.push(p.y));
  for (const c of drawnBoxes) (xs.push(c.x, c.x + c.width), ys.push(c.y, c.y + c.height));
  const dx = MARGIN - Math.min(...xs);
  const dy = MARGIN - Math.min(...ys);
  const shift = (p: Point): Point => ({ x: p.x + dx, y: p.y + dy });

  const laidNodes = placed.map((n) => ({ ...n, ...shift(n) }));
  const laidEdges: LayoutEdge[] = routes.map((e) => {
    const points = e.points.map(shift);
    return {
      id: `${e.source}#${e.slot}`,
      source: e.source,
      target: e.target,
      slot: e.slot,
      kind: e.kind,
      points,
      path: edgePath(points),
    };
  });
  const clusters = drawnBoxes.map((c) => ({ ...c, ...shift(c) }));
  const modules = [...new Set(laidNodes.map((n) => n.module).filter((m): m is string => !!m))];
  return {
    key: layoutKey(graph, options),
    rankdir,
    nodes: laidNodes,
    edges: laidEdges,
    clusters,
    modules: modules.sort(),
    width: Math.max(...xs) - Math.min(...xs) + 2 * MARGIN,
    height: Math.max(...ys) - Math.min(...ys) + 2 * MARGIN,
  };
}
