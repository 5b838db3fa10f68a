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
import { groupLabel, groupTree, subgraph, GROUP_PREFIX } from "./groups";
import type { GraphEvent } from "../wire/protocol";

/** Room above an opened group's frame for its name and the button that closes it. */
export const FRAME_LABEL = 18;
/** Space between ranks and between neighbours in a rank. */
const RANK_GAP: Record<Rankdir, number> = { BT: 32, RL: 50 };
const CROSS_GAP = 20;
/** How far a detour keeps from the units it goes round, and where it turns (half a gap). */
const DETOUR_GAP = 8;
const RANK_GAP_MIN = Math.min(...Object.values(RANK_GAP));
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

const canonicalId = (i: number) => `n${String(i).padStart(6, "0")}`;

/**
 * A group's inside with each node renamed by its place among the group's members, and a key
 * equal for groups of the same shape: the same ops in the same order, parameters' names of
 * the same length (a leaf's box is as wide as its name), the same edges and named tensors.
 */
function groupShape(sub: GraphEvent, ids: readonly string[]): { graph: GraphEvent; key: string } {
  const place = new Map(ids.map((id, i) => [id, i]));
  const byId = new Map(sub.nodes.map((n) => [n.id, n]));
  const nodes = ids.map((id, i) => {
    const n = byId.get(id);
    const param = n?.param ? "p".repeat(n.param.length) : null;
    return { id: canonicalId(i), op: n?.op ?? "", param, module: null, saved: [] };
  });
  const edges = sub.edges.map((e) => ({
    source: canonicalId(place.get(e.source) ?? -1),
    target: canonicalId(place.get(e.target) ?? -1),
    slot: e.slot,
  }));
  const tensors = Object.fromEntries(
    Object.entries(sub.tensors).map(([name, id]) => [name, canonicalId(place.get(id) ?? -1)]),
  );
  const key = JSON.stringify([
    nodes.map((n, i) => [n.op, n.param?.length ?? -1, ids[i]?.startsWith(GROUP_PREFIX) ?? false]),
    edges.map((e) => [e.source, e.target, e.slot]),
    tensors,
  ]);
  return { graph: { ...sub, nodes, edges, tensors, root: "" }, key };
}

/** A layout of groupShape's renamed graph, with the group's own ids, names and modules. */
function renameLayout(
  laid: GraphLayout,
  shape: GraphEvent,
  graph: GraphEvent,
  ids: readonly string[],
): GraphLayout {
  const place = new Map(shape.nodes.map((n, i) => [n.id, i]));
  const real = new Map(graph.nodes.map((n) => [n.id, n]));
  const idOf = (canonical: string) => ids[place.get(canonical) ?? -1] ?? canonical;
  const nodes = laid.nodes.map((n) => {
    const r = real.get(idOf(n.id));
    const param = r?.param ?? null;
    return {
      ...n,
      id: idOf(n.id),
      param,
      module: r?.module ?? null,
      sub: n.kind === "leaf" ? param : n.sub,
    };
  });
  const edges = laid.edges.map((e) => {
    const source = idOf(e.source);
    return { ...e, id: `${source}#${e.slot}`, source, target: idOf(e.target) };
  });
  const modules = [...new Set(nodes.map((n) => n.module).filter((m): m is string => !!m))];
  return { ...laid, key: `${laid.key}|${ids[0] ?? ""}`, nodes, edges, modules: modules.sort() };
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

/** A node's extent along the rank axis (main) and across it (cross). */
interface Extent {
  main0: number;
  main1: number;
  cross0: number;
  cross1: number;
}

const extentOf = (n: LayoutNode, bt: boolean): Extent =>
  bt
    ? {
        main0: n.y - n.height / 2,
        main1: n.y + n.height / 2,
        cross0: n.x - n.width / 2,
        cross1: n.x + n.width / 2,
      }
    : {
        main0: n.x - n.width / 2,
        main1: n.x + n.width / 2,
        cross0: n.y - n.height / 2,
        cross1: n.y + n.height / 2,
      };

/**
 * A route between two units: out of the source's side facing the target, into the
 * target's. When the straight way would run through other units (a residual connection
 * skipping a block's attention), it goes round them instead, in a lane beside the ones in
 * the way. `others` are the seen nodes, by rank position.
 */
function route(s: LayoutNode, t: LayoutNode, bt: boolean, others: readonly Extent[]): Point[] {
  const se = extentOf(s, bt);
  const te = extentOf(t, bt);
  const down = te.main0 > se.main0 ? 1 : -1;
  const sc = (se.cross0 + se.cross1) / 2;
  const tc = (te.cross0 + te.cross1) / 2;
  const a = down > 0 ? se.main1 : se.main0;
  const b = down > 0 ? te.main0 : te.main1;
  const lo = Math.min(a, b) + 0.5;
  const hi = Math.max(a, b) - 0.5;
  const mid = (a + b) / 2;
  // Units strictly between the two along the rank axis, and whether a line across at `c`
  // from `m0` to `m1` meets one of them.
  const between = others.filter((o) => o.main1 > lo && o.main0 < hi);
  const hits = (c: number, m0: number, m1: number) =>
    between.some(
      (o) =>
        o.cross0 < c && c < o.cross1 && o.main1 > Math.min(m0, m1) && o.main0 < Math.max(m0, m1),
    );
  const crosses = between.some(
    (o) =>
      o.main0 < mid && mid < o.main1 && o.cross1 > Math.min(sc, tc) && o.cross0 < Math.max(sc, tc),
  );
  const at = (main: number, cross: number): Point =>
    bt ? { x: cross, y: main } : { x: main, y: cross };
  if (!hits(sc, a, mid) && !hits(tc, mid, b) && !crosses) {
    return [at(a, sc), at(mid, sc), at(mid, tc), at(b, tc)];
  }
  // The first lane past the far side of everything in the way, away from the graph's start.
  let lane = Math.max(sc, tc);
  for (let moved = true; moved;) {
    moved = false;
    for (const o of between) {
      if (o.cross0 - DETOUR_GAP < lane && lane < o.cross1 + DETOUR_GAP) {
        lane = o.cross1 + DETOUR_GAP;
        moved = true;
      }
    }
  }
  const near = a + (down * RANK_GAP_MIN) / 2;
  const far = b - (down * RANK_GAP_MIN) / 2;
  const detour = [at(a, sc), at(near, sc), at(near, lane), at(far, lane), at(far, tc), at(b, tc)];
  return tightCorners(detour, DETOUR_GAP);
}

/**
 * The polyline with a point `r` before and after each corner: the curve drawn through the
 * points (edgePath, Catmull-Rom) then turns there instead of swinging wide of a long side.
 */
function tightCorners(points: readonly Point[], r: number): Point[] {
  const toward = (p: Point, q: Point): Point => {
    const d = Math.hypot(q.x - p.x, q.y - p.y);
    const f = d === 0 ? 0 : Math.min(r, d / 2) / d;
    return { x: p.x + (q.x - p.x) * f, y: p.y + (q.y - p.y) * f };
  };
  const out: Point[] = [];
  points.forEach((p, i) => {
    const before = points[i - 1];
    const after = points[i + 1];
    if (!before || !after) return void out.push(p);
    out.push(toward(p, before), p, toward(p, after));
  });
  return out;
}
