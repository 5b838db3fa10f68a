// What part of the laid-out autograd graph the panel shows (pure: sizes in, transforms out).
//
// The graph is never drawn smaller than READABLE_SCALE: a deep graph (the MLPs') in a
// short, wide panel would otherwise shrink to 4 px text. When it does not fit at that
// scale the view shows part of it and, while a phase animates, follows the work: the
// forward pass along the longest chain from the leaves to the loss, backward through
// the nodes in the order the engine ran them. Both rank directions are laid out once
// per topology, and the panel's shape picks one.
import { layoutGraph, layoutKey } from "./layout";
import type { GraphLayout, LayoutOptions, Point, Rankdir } from "./layout";
import type { GraphEvent, PhaseName } from "../wire/protocol";

/** Smallest default zoom: 16 px node names drawn at ≥ 12 px. */
export const READABLE_SCALE = 0.75;
/** Largest default zoom (a tiny graph in a big panel). */
export const MAX_SCALE = 1.6;
/** Screen pixels kept free around the graph. */
export const VIEW_PAD = 10;
/** "RL" must show this much more of the graph than "BT" to be chosen (BT is the notes' picture). */
const PREFER_BT = 1.1;
/** A direction once chosen stays until the other shows this much more (captions change the
 * panel's height by a line from phase to phase; the graph should not turn with them). */
const KEEP = 1.4;

export interface Size {
  width: number;
  height: number;
}

export interface ViewTransform {
  x: number;
  y: number;
  k: number;
}

/** The zoom at which the whole graph fits the view. */
export function fitScale(graph: Size, view: Size): number {
  if (graph.width <= 0 || graph.height <= 0) return MAX_SCALE;
  return Math.min(
    (view.width - 2 * VIEW_PAD) / graph.width,
    (view.height - 2 * VIEW_PAD) / graph.height,
  );
}

/** The default zoom: the whole graph when that is readable, else READABLE_SCALE. */
export function defaultScale(graph: Size, view: Size): number {
  return Math.min(MAX_SCALE, Math.max(READABLE_SCALE, fitScale(graph, view)));
}

/** True when the graph does not fit the view at a readable zoom (the view then pans). */
export function overflows(graph: Size, view: Size): boolean {
  return fitScale(graph, view) < READABLE_SCALE;
}

/** Share of the graph's area the view shows at the default zoom (1: all of it). */
export function visibleShare(graph: Size, view: Size): number {
  const k = defaultScale(graph, view);
  const w = Math.min(1, Math.max(0, view.width - 2 * VIEW_PAD) / (graph.width * k));
  const h = Math.min(1, Math.max(0, view.height - 2 * VIEW_PAD) / (graph.height * k));
  return w * h;
}

/**
 * The rank direction for a view: "BT" (the loss at the bottom, as in the notes) unless
 * laying the graph out right to left shows clearly more of it at a readable zoom, which
 * happens for deep graphs in wide, short panels. `current`, the direction already shown,
 * is kept unless the other one is much better.
 */
export function chooseRankdir(
  sizes: Record<Rankdir, Size>,
  view: Size,
  current?: Rankdir,
): Rankdir {
  const stay = current ?? "BT";
  const other = stay === "BT" ? "RL" : "BT";
  const factor = current ? KEEP : PREFER_BT;
  return visibleShare(sizes[other], view) > factor * visibleShare(sizes[stay], view) ? other : stay;
}

/**
 * The layouts a panel picks from, memoised by topology: both directions are laid out once
 * per graph shape (and options), and the direction shown is kept across views as long as
 * chooseRankdir allows.
 */
export class LayoutChooser {
  #memo: Record<Rankdir, GraphLayout | null> = { BT: null, RL: null };
  /** The direction shown for a topology (keyed by its "BT" layout key). */
  #chosen: Record<string, Rankdir> = {};

  #laidOut(graph: GraphEvent, options: LayoutOptions, rankdir: Rankdir): GraphLayout {
    const key = layoutKey(graph, { ...options, rankdir });
    let layout = this.#memo[rankdir];
    if (layout?.key !== key) {
      layout = layoutGraph(graph, { ...options, rankdir });
      this.#memo[rankdir] = layout;
    }
    return layout;
  }

  /** The layout of `graph` to show in `view`. */
  pick(graph: GraphEvent, options: Omit<LayoutOptions, "rankdir">, view: Size): GraphLayout {
    const bt = this.#laidOut(graph, options, "BT");
    const rl = this.#laidOut(graph, options, "RL");
    const rankdir = chooseRankdir({ BT: bt, RL: rl }, view, this.#chosen[bt.key]);
    this.#chosen = { [bt.key]: rankdir };
    return rankdir === "RL" ? rl : bt;
  }
}

/** Offset along one axis: centred when the graph fits, else `focus` centred within the edges. */
function offset(length: number, extent: number, k: number, focus: number): number {
  const drawn = length * k;
  if (drawn + 2 * VIEW_PAD <= extent) return (extent - drawn) / 2;
  const centred = extent / 2 - focus * k;
  return Math.min(VIEW_PAD, Math.max(extent - VIEW_PAD - drawn, centred));
}

/**
 * The transform (screen = layout · k + (x, y)) at zoom k that shows layout point `focus`
 * as near the view's centre as possible without scrolling past the graph's edges.
 */
export function viewAt(graph: Size, view: Size, k: number, focus: Point): ViewTransform {
  return {
    k,
    x: offset(graph.width, view.width, k, focus.x),
    y: offset(graph.height, view.height, k, focus.y),
  };
}

/**
 * Centre of each forward level along the graph's longest chain (index = level): the
 * nodes whose level plus their distance from the root is the root's level. Every level
 * has one, and dagre puts them in consecutive ranks, so the points run from the leaves'
 * end to the loss.
 */
export function spinePoints(layout: GraphLayout, root: string): Point[] {
  const level = new Map(layout.nodes.map((n) => [n.id, n.level]));
  const top = level.get(root);
  if (top === undefined) return [];
  // Longest distance from the root: edges go root → leaves, and sources have higher levels.
  const depth = new Map<string, number>([[root, 0]]);
  const byLevel = [...layout.nodes].sort((a, b) => b.level - a.level);
  for (const n of byLevel) {
    const d = depth.get(n.id);
    if (d === undefined) continue;
    for (const e of layout.edges) {
      if (e.source === n.id) depth.set(e.target, Math.max(depth.get(e.target) ?? 0, d + 1));
    }
  }
  const points: Point[] = [];
  for (let l = 0; l <= top; l++) {
    const on = layout.nodes.filter((n) => n.level === l && depth.get(n.id) === top - l);
    if (!on.length) continue;
    points[l] = {
      x: on.reduce((s, n) => s + n.x, 0) / on.length,
      y: on.reduce((s, n) => s + n.y, 0) / on.length,
    };
  }
  return points;
}

/** The point a fractional index f ∈ [0, points.length − 1] falls on, between two points. */
function between(points: readonly (Point | undefined)[], f: number): Point | null {
  const a = points[Math.floor(f)];
  const b = points[Math.ceil(f)] ?? a;
  if (!a || !b) return a ?? b ?? null;
  const u = f - Math.floor(f);
  return { x: a.x + (b.x - a.x) * u, y: a.y + (b.y - a.y) * u };
}

export interface FollowInput {
  layout: GraphLayout;
  root: string;
  phase: PhaseName | null;
  /** Animation progress of the phase, t ∈ [0, 1]. */
  t: number;
  /** Highest level among the nodes model(x) made (the rest are the criterion's). */
  maxForwardLevel: number;
  /** Node ids in the order the engine ran them in backward. */
  order: readonly string[];
}

/**
 * The layout point the view follows at progress t of a phase, or null when the graph
 * does not change in that phase (zero_grad, step). Mirrors how the graph animates (phaseview):
 * levels build one after the other (forward: the model's, loss: the criterion's), and in
 * backward the nodes light one after the other in the engine's order.
 */
export function followFocus(input: FollowInput): Point | null {
  const { layout, root, phase, t, maxForwardLevel: fwd, order } = input;
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  if (phase === "forward" || phase === "loss") {
    const spine = spinePoints(layout, root);
    const top = spine.length - 1;
    if (top < 0) return null;
    if (phase === "forward") return between(spine, clamp(t * (fwd + 1) - 0.5, Math.min(fwd, top)));
    const span = top - fwd;
    if (span <= 0) return spine[top] ?? null;
    return between(spine, fwd + 1 + clamp(t * span - 0.5, span - 1));
  }
  if (phase === "backward") {
    const byId = new Map(layout.nodes.map((n) => [n.id, n]));
    const points = order.map((id) => byId.get(id)).filter((n) => n !== undefined);
    if (!points.length) return null;
    return between(points, clamp(t * points.length - 0.5, points.length - 1));
  }
  return null;
}

/** Module colours (Tableau 10), for when module boxes would overlap: stripe + legend. */
export const MODULE_PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#b07aa1",
  "#e15759",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#bab0ac",
];

/** A colour for each module, in the given order, the palette repeating after ten. */
export function moduleColours(modules: readonly string[]): Map<string, string> {
  return new Map(modules.map((m, i) => [m, MODULE_PALETTE[i % MODULE_PALETTE.length] as string]));
}
