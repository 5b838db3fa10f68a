// The grouped autograd graph laid out hierarchically (pure, cached): first a skeleton with
// every top-level group folded into one node (dagre, a few dozen nodes), then the inside of
// each opened group on its own (dagre, cached per group shape) — itself a skeleton of its
// sub-groups, folded, when it has sub-groups (groups.ts), composed the same way. Each level
// is composed rank by rank:
//
// - ranks are stacked from the skeleton's first rank (the leaves' end) onwards, each as
//   deep as its deepest unit, and every unit sits at the start of its rank;
// - within a rank, units keep the skeleton's order and place, pushed along only as far as
//   an opened neighbour before them needs.
//
// So opening a group moves nothing before it: earlier ranks and the units before it in its
// rank stay exactly where they were, later ranks move as one block by the depth it added,
// and the units after it in its rank move as one by the width it added; a group opened
// inside a block grows the block's frame, which moves the rest of the graph the same way.
// Dagre on a thousand nodes at once would take seconds and reshuffle everything on a click.
import { forwardLevels, edgePath, layoutGraph, MARGIN } from "./layout";
import type { GraphLayout, LayoutCluster, LayoutEdge, LayoutNode, Point, Rankdir } from "./layout";
import { foldGraph } from "./fold";
import { groupShape, renameLayout } from "./groupshape";
import { groupLabel, groupTree, subgraph, GROUP_PREFIX } from "./groups";
import { DETOUR_GAP, extentOf, route } from "./unitroute";
import type { GraphEvent } from "../wire/protocol";

/** Room above an opened group's frame for its name and the button that closes it. */
export const FRAME_LABEL = 18;
/** Space between ranks and between neighbours in a rank. */
const RANK_GAP: Record<Rankdir, number> = { BT: 32, RL: 50 };
const CROSS_GAP = 20;
/** dagre's ranker for a group's inside (see docs/performance.md for the times). */
export const INNER_RANKER = "tight-tree";

export interface GroupedOptions {
  rankdir: Rankdir;
  /** Saved tensors that get a data node of their own (next to ungrouped nodes only). */
  dataTensors?: readonly string[];
}

interface Box {
  id: string;
  /** Position of the box's low corner, and its size, along the rank axis and across it. */
  main: number;
  cross: number;
  mainSize: number;
  crossSize: number;
}

/** What one level of the composition places: its units, opened groups' frames, and the
 * edges drawn inside groups opened to their nodes (the rest are routed at the top). */
interface Placed {
  nodes: LayoutNode[];
  clusters: LayoutCluster[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

/** Layouts of one graph's skeleton and groups, kept while the graph's topology stays. */
export class GroupedLayouts {
  #graphKey = "";
  #cache = new Map<string, GraphLayout>();

  /** Forget the layouts of another graph. */
  #sync(graph: GraphEvent): void {
    const graphKey = graphKeyOf(graph);
    if (graphKey !== this.#graphKey) {
      this.#graphKey = graphKey;
      this.#cache.clear();
    }
  }

  #memo(graph: GraphEvent, key: string, make: () => GraphLayout): GraphLayout {
    this.#sync(graph);
    let layout = this.#cache.get(key);
    if (!layout) {
      layout = make();
      this.#cache.set(key, layout);
    }
    return layout;
  }

  /** Every top-level group folded: what the layout of any opened set is composed from. */
  skeleton(graph: GraphEvent, options: GroupedOptions): GraphLayout {
    const data = options.dataTensors ?? ["x", "y"];
    return this.#memo(graph, `skeleton:${options.rankdir}:${data.join(",")}`, () => {
      const tree = groupTree(graph);
      const folded = foldGraph(graph, new Set(tree.children.get("")), tree);
      return layoutGraph(folded.graph, { rankdir: options.rankdir, dataTensors: data });
    });
  }

  /**
   * One group's inside, laid out alone (no data nodes: those belong to the skeleton): its
   * sub-groups folded when it has some, else all of its nodes. Groups of one shape (a
   * transformer's blocks, their attentions) share one dagre layout: dagre is what costs,
   * some 75 ms for a block of 70 nodes, and its answer depends on the shape only.
   */
  inner(graph: GraphEvent, group: string, rankdir: Rankdir): GraphLayout {
    return this.#memo(graph, `inner:${rankdir}:${group}`, () => {
      const tree = groupTree(graph);
      const sub = subgraph(graph, tree.members.get(group) ?? []);
      const subs = tree.children.get(group) ?? [];
      const seen = subs.length ? foldGraph(sub, new Set(subs), tree).graph : sub;
      const ids = seen.nodes.map((n) => n.id);
      const shape = groupShape(seen, ids);
      const laid = this.#memo(graph, `shape:${rankdir}:${shape.key}`, () =>
        layoutGraph(shape.graph, { rankdir, dataTensors: [], ranker: INNER_RANKER }),
      );
      return renameLayout(laid, shape.graph, seen, ids);
    });
  }

  /**
   * Lay out the inside of one more group that is not cached yet (each shape once; outer
   * groups first), so a click finds it ready; false when every group is done. The page
   * calls it when idle.
   */
  warmOne(graph: GraphEvent, rankdir: Rankdir): boolean {
    this.#sync(graph);
    const tree = groupTree(graph);
    let level = tree.children.get("") ?? [];
    while (level.length) {
      for (const group of level) {
        if (this.#cache.has(`inner:${rankdir}:${group}`)) continue;
        this.inner(graph, group, rankdir);
        return true;
      }
      level = level.flatMap((g) => tree.children.get(g) ?? []);
    }
    return false;
  }

  /** The graph with the groups in `collapsed` folded and the other groups opened. */
  layout(graph: GraphEvent, collapsed: ReadonlySet<string>, options: GroupedOptions): GraphLayout {
    const { rankdir } = options;
    const bt = rankdir === "BT";
    const tree = groupTree(graph);
    const skeleton = this.skeleton(graph, options);
    const placed = this.#place(graph, "", collapsed, options);
    const { nodes, clusters } = placed;

    // Edges between units, routed where the units ended up (those inside a group opened
    // to its nodes come laid out with it).
    const at = new Map(nodes.map((n) => [n.id, n]));
    // What a route goes round: the other units, and the frames holding neither end.
    const boxes = nodes.map((n) => extentOf(n, bt));
    const frames = clusters.map((c) => ({
      c,
      e: extentOf({ ...c, x: c.x + c.width / 2, y: c.y + c.height / 2 } as LayoutNode, bt),
    }));
    const holds = (c: LayoutCluster, n: LayoutNode) =>
      n.x > c.x && n.x < c.x + c.width && n.y > c.y && n.y < c.y + c.height;
    const others = (s: LayoutNode, t: LayoutNode) => [
      ...boxes.filter((_, i) => nodes[i] !== s && nodes[i] !== t),
      ...frames.filter((f) => !holds(f.c, s) && !holds(f.c, t)).map((f) => f.e),
    ];
    const inside = new Set(placed.edges.map((e) => e.id));
    const edges: LayoutEdge[] = [...placed.edges];
    for (const e of foldGraph(graph, collapsed, tree).edges) {
      const id = `${e.source}#${e.slot}`;
      if (inside.has(id)) continue;
      const s = at.get(e.source);
      const t = at.get(e.target);
      if (!s || !t) continue;
      const points = route(s, t, bt, others(s, t));
      const via =
        e.via.length > 1 || e.source !== e.via[0]?.source ? e.via.map((v) => v.source) : undefined;
      edges.push({
        id,
        source: e.source,
        target: e.target,
        slot: e.slot,
        kind: "grad",
        points,
        path: edgePath(points),
        ...(via ? { via } : {}),
      });
    }
    for (const e of skeleton.edges) {
      if (e.kind !== "data") continue;
      const s = at.get(e.source);
      const t = at.get(e.target);
      if (!s || !t) continue;
      const points = route(s, t, bt, others(s, t));
      edges.push({ ...e, points, path: edgePath(points) });
    }

    const levels = forwardLevels(
      nodes.map((n) => n.id),
      edges,
    );
    const laid = nodes.map((n) => ({ ...n, level: levels.get(n.id) ?? 0 }));
    const modules = [...new Set(laid.map((n) => n.module).filter((m): m is string => !!m))];
    const open = clusters
      .map((c) => c.group ?? "")
      .sort()
      .join(",");
    const topology = `grouped:${skeleton.key}`;
    return {
      key: `${topology}|open:${open}`,
      topology,
      rankdir,
      nodes: laid,
      edges,
      clusters,
      modules: modules.sort(),
      width: placed.width,
      height: placed.height,
    };
  }

  /**
   * Compose one level: `scope`'s skeleton ("" for the whole graph's) with each of its
   * opened groups in place — a group with sub-groups composed the same way, one without
   * laid out whole.
   */
  #place(
    graph: GraphEvent,
    scope: string,
    collapsed: ReadonlySet<string>,
    options: GroupedOptions,
  ): Placed {
    const { rankdir } = options;
    const bt = rankdir === "BT";
    const tree = groupTree(graph);
    const skeleton = scope ? this.inner(graph, scope, rankdir) : this.skeleton(graph, options);
    const inners = new Map<string, Placed>();
    for (const n of skeleton.nodes) {
      if (!n.id.startsWith(GROUP_PREFIX)) continue;
      const group = n.id.slice(GROUP_PREFIX.length);
      if (collapsed.has(group)) continue;
      const nested = (tree.children.get(group) ?? []).length > 0;
      const inner = nested
        ? this.#place(graph, group, collapsed, { rankdir })
        : this.inner(graph, group, rankdir);
      inners.set(n.id, inner);
    }

    // Each skeleton unit's box at its opened or folded size, then ranks stacked.
    const boxes: Box[] = skeleton.nodes.map((n) => {
      const inner = inners.get(n.id);
      const w = inner ? inner.width : n.width;
      const h = inner ? inner.height + FRAME_LABEL : n.height;
      return {
        id: n.id,
        main: bt ? n.y : n.x,
        cross: bt ? n.x - n.width / 2 : n.y - n.height / 2,
        mainSize: bt ? h : w,
        crossSize: bt ? w : h,
      };
    });
    placeRanks(boxes, RANK_GAP[rankdir]);

    const skeletonNode = new Map(skeleton.nodes.map((n) => [n.id, n]));
    const nodes: LayoutNode[] = [];
    const clusters: LayoutCluster[] = [];
    const edges: LayoutEdge[] = [];
    for (const b of boxes) {
      const x = bt ? b.cross : b.main;
      const y = bt ? b.main : b.cross;
      const w = bt ? b.crossSize : b.mainSize;
      const h = bt ? b.mainSize : b.crossSize;
      const inner = inners.get(b.id);
      const n = skeletonNode.get(b.id) as LayoutNode;
      const group = b.id.startsWith(GROUP_PREFIX) ? b.id.slice(GROUP_PREFIX.length) : null;
      if (!inner) {
        nodes.push({
          ...n,
          x: x + w / 2,
          y: y + h / 2,
          ...(group !== null
            ? { kind: "group" as const, members: tree.members.get(group) ?? [] }
            : {}),
        });
        continue;
      }
      const label = groupLabel(tree, group ?? "");
      clusters.push({ module: group ?? "", group: group ?? "", label, x, y, width: w, height: h });
      const shift = (p: Point): Point => ({ x: p.x + x, y: p.y + y + FRAME_LABEL });
      for (const c of inner.clusters) clusters.push({ ...c, ...shift(c) });
      for (const m of inner.nodes) nodes.push({ ...m, ...shift(m) });
      for (const e of inner.edges) {
        const points = e.points.map(shift);
        edges.push({ ...e, points, path: edgePath(points) });
      }
    }
    const xs = nodes.map((n) => n.x + n.width / 2).concat(clusters.map((c) => c.x + c.width));
    const ys = nodes.map((n) => n.y + n.height / 2).concat(clusters.map((c) => c.y + c.height));
    // A group's frame keeps a lane free on its far side for the routes that go round its
    // parts (a residual connection skipping the attention stays inside its block).
    const lane = scope ? 2 * DETOUR_GAP : 0;
    return {
      nodes,
      clusters,
      edges,
      width: Math.max(0, ...xs) + MARGIN + (bt ? lane : 0),
      height: Math.max(0, ...ys) + MARGIN + (bt ? 0 : lane),
    };
  }
}

function graphKeyOf(graph: GraphEvent): string {
  return `${graph.graph_id}:${graph.nodes.length}:${graph.edges.length}`;
}

/**
 * Stack the boxes' ranks (equal skeleton `main`) from MARGIN on, each as deep as its
 * deepest box, boxes at their rank's start; within a rank keep the skeleton's `cross`
 * unless the box before needs the room.
 */
function placeRanks(boxes: Box[], gap: number): void {
  const ranks = new Map<number, Box[]>();
  for (const b of boxes) {
    const r = Math.round(b.main * 2) / 2;
    const list = ranks.get(r);
    if (list) list.push(b);
    else ranks.set(r, [b]);
  }
  let start = MARGIN;
  for (const r of [...ranks.keys()].sort((a, b) => a - b)) {
    const rank = (ranks.get(r) as Box[]).sort((a, b) => a.cross - b.cross);
    let end = -Infinity;
    let depth = 0;
    for (const b of rank) {
      b.main = start;
      b.cross = Math.max(b.cross, end + CROSS_GAP);
      end = b.cross + b.crossSize;
      depth = Math.max(depth, b.mainSize);
    }
    start += depth + gap;
  }
}
