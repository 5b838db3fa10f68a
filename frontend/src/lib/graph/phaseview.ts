// What a phase looks like at animation progress t (pure; shared by the panels), down to
// each node and edge of the autograd graph.
import { staggered } from "../util/animation";
import type { Line } from "../util/line";
import { pointAlong, reachable } from "./layout";
import type { GraphLayout, LayoutEdge, LayoutNode, Point } from "./layout";
import { PHASES } from "../wire/protocol";
import type {
  BackwardCapture,
  GraphEvent,
  PhaseName,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { formatNumber, formatShape, formatTensor, numel, scalarOf } from "../util/tensor";

export interface GradInput {
  phase: PhaseName | null;
  t: number;
  backward: BackwardCapture | undefined;
  grads: Record<string, TensorValue | null>;
  previousGrads: Record<string, TensorValue | null>;
}

// Every node of the graph asks for its place in the order on every animation frame: a scan of
// the order each time costs n² per frame (a transformer's backward runs ~1 000 nodes), so
// each capture's order and fills are indexed once (captures are immutable).
const orderIndex = new WeakMap<BackwardCapture, Map<string, number>>();
const fillIndex = new WeakMap<BackwardCapture, Map<string, string>>();

/** Each node's place in the order the engine ran `backward` (its first, as indexOf). */
function placeOf(backward: BackwardCapture, node: string): number {
  let index = orderIndex.get(backward);
  if (!index) {
    index = new Map();
    backward.order.forEach((id, i) => {
      if (!index?.has(id)) index?.set(id, i);
    });
    orderIndex.set(backward, index);
  }
  return index.get(node) ?? -1;
}

/** The AccumulateGrad node that fills `param` (the first fill named, as find). */
function fillNodeOf(backward: BackwardCapture, param: string): string | undefined {
  let index = fillIndex.get(backward);
  if (!index) {
    index = new Map();
    for (const f of backward.fills) if (!index.has(f.param)) index.set(f.param, f.node);
    fillIndex.set(backward, index);
  }
  return index.get(param);
}

/** Progress of the backward animation at `node` (1 outside backward or for unknown nodes). */
export function nodeProgress(
  backward: BackwardCapture | undefined,
  node: string,
  t: number,
): number {
  if (!backward) return 1;
  const k = placeOf(backward, node);
  return k < 0 ? 1 : staggered(t, k, backward.order.length);
}

/** Progress of the fill of `param`'s .grad in the running backward animation. */
export function fillProgress(param: string, input: GradInput): number {
  if (input.phase !== "backward" || !input.backward) return 1;
  const node = fillNodeOf(input.backward, param);
  if (node === undefined) return 1;
  return nodeProgress(input.backward, node, input.t);
}

/**
 * The .grad to draw now: the old one until backward reaches the parameter's
 * AccumulateGrad (or until halfway through zero_grad), the new one after.
 */
export function shownGrad(param: string, input: GradInput): TensorValue | null | undefined {
  if (input.phase === "backward" && fillProgress(param, input) < 0.5) {
    return input.previousGrads[param];
  }
  if (input.phase === "zero_grad" && input.t < 0.5) return input.previousGrads[param];
  return input.grads[param];
}

/** Bins of a tensor's values scaled to [0, 1], for a sparkline histogram (null if no data). */
export function sparkBins(tensor: TensorValue | null | undefined, bins = 12): number[] | null {
  if (!tensor) return null;
  let counts: number[];
  if (tensor.values) {
    const xs = tensor.values.filter((v): v is number => typeof v === "number");
    if (xs.length < 2) return null;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    counts = new Array<number>(bins).fill(0);
    const span = hi - lo || 1;
    for (const x of xs) {
      const i = Math.min(bins - 1, Math.floor(((x - lo) / span) * bins));
      counts[i] = (counts[i] ?? 0) + 1;
    }
  } else if (tensor.summary) {
    counts = tensor.summary.histogram.counts;
  } else {
    return null;
  }
  const max = Math.max(1, ...counts);
  return counts.map((c) => c / max);
}

// A node's sparkline is asked for on every animation frame while its tensor stays the same
// object (tensors are immutable; the store hands back unchanged ones): binned once per size.
const sparkPaths = new WeakMap<TensorValue, Map<string, string>>();

/** SVG path of a tensor's sparkline: one bar per bin, standing on y = height ("" if no data). */
export function sparkPath(
  tensor: TensorValue | null | undefined,
  width: number,
  height: number,
): string {
  if (!tensor) return "";
  let paths = sparkPaths.get(tensor);
  if (!paths) sparkPaths.set(tensor, (paths = new Map()));
  const key = `${width}x${height}`;
  let path = paths.get(key);
  if (path === undefined) paths.set(key, (path = drawSpark(tensor, width, height)));
  return path;
}

function drawSpark(tensor: TensorValue, width: number, height: number): string {
  const bins = sparkBins(tensor);
  if (!bins) return "";
  const w = width / bins.length;
  return bins
    .map(
      (b, i) =>
        `M${(i * w).toFixed(1)} ${height}v${(-b * height).toFixed(1)}h${(w - 1).toFixed(1)}v${(b * height).toFixed(1)}z`,
    )
    .join("");
}

/**
 * True when `phase` has run in the current iteration: the latest phase and every one
 * before it (`latest` null: nothing has run since the run, or the iteration, began;
 * `next` then says where the iteration stands, e.g. after `set` in the middle of one).
 */
export function phaseRan(phase: PhaseName, latest: PhaseName | null, next: PhaseName): boolean {
  if (latest === "step") return true;
  const at = latest === null ? PHASES.indexOf(next) - 1 : PHASES.indexOf(latest);
  return PHASES.indexOf(phase) <= at;
}

export interface RanInput {
  /** This iteration's loss (from the loss phase on). */
  loss: WireFloat | null;
  /** .grad of every parameter now. */
  grads: Record<string, TensorValue | null>;
  skipZeroGrad: boolean;
  /** Short display names of the parameters. */
  names: Map<string, string>;
  /** At most this many .grad lines before "… and N more". */
  maxLines?: number;
}

/**
 * What a phase that ran without a capture (a multi-phase step or fast play captures only
 * the last phase it sends) still shows: the numbers every phase event carries — the loss,
 * the .grad each backward() left — and a note that its details were skipped.
 */
export function ranUncapturedLines(phase: PhaseName, input: RanInput): Line[] {
  const lines: Line[] = [];
  const max = input.maxLines ?? 3;
  if (phase === "loss" && input.loss !== null) {
    lines.push({ key: "loop.ran.loss", params: { loss: formatNumber(input.loss) } });
  } else if (phase === "zero_grad" && input.skipZeroGrad) {
    lines.push({ key: "explain.zeroGrad.skipped", params: {} });
  } else if (phase === "backward") {
    const filled = Object.entries(input.grads).filter(([, g]) => g !== null);
    const shown = filled.length > max ? filled.slice(0, max - 1) : filled;
    for (const [name, grad] of shown) {
      const s = scalarOf(grad);
      const value = s === null ? formatTensor(grad, 3) : formatNumber(s);
      lines.push({ key: "loop.ran.grad", params: { name: input.names.get(name) ?? name, value } });
    }
    if (shown.length < filled.length) {
      lines.push({ key: "explain.more", params: { n: String(filled.length - shown.length) } });
    }
  }
  lines.push({ key: "loop.ran.skipped", params: {} });
  return lines;
}

// ------------------------------------------------------------ the autograd graph at t

/** Which nodes model(x) built, and the highest forward level of those and of all nodes. */
export interface GraphLevels {
  /** Nodes behind y_pred, built by model(x); the rest are criterion(y_pred, y)'s. */
  forward: ReadonlySet<string>;
  maxForwardLevel: number;
  maxLevel: number;
}

export const NO_LEVELS: GraphLevels = { forward: new Set(), maxForwardLevel: 0, maxLevel: 0 };

/** Split a laid-out graph into what model(x) built and what the criterion built. */
export function graphLevels(layout: GraphLayout, graph: GraphEvent): GraphLevels {
  const yPred = graph.tensors.y_pred;
  const forward = yPred
    ? reachable(yPred, layout.edges)
    : new Set(layout.nodes.filter((n) => n.id !== graph.root).map((n) => n.id));
  return {
    forward,
    maxForwardLevel: Math.max(
      0,
      ...layout.nodes.filter((n) => forward.has(n.id)).map((n) => n.level),
    ),
    maxLevel: Math.max(0, ...layout.nodes.map((n) => n.level)),
  };
}

/** Everything besides the layout that says how the autograd graph looks at progress t. */
export interface GraphPhaseInput extends GradInput, GraphLevels {
  /** Each node's place in the order the engine ran backward (0: first). */
  order: ReadonlyMap<string, number>;
  /** Forward value of each node (the loss phase's capture). */
  nodeValues: Record<string, TensorValue> | undefined;
  /** The run's data tensors by name (x, y). */
  data: Record<string, TensorValue> | undefined;
  /** True while a phase animates: only then do dots travel along the edges. */
  animating: boolean;
}

/** How built a node is (0: not yet recorded in this iteration's graph, 1: there). */
export function buildProgress(node: LayoutNode, input: GraphPhaseInput): number {
  const { phase, t, forward, maxForwardLevel, maxLevel } = input;
  if (phase === "forward") {
    if (!forward.has(node.id)) return 0;
    return staggered(t, node.level, maxForwardLevel + 1);
  }
  if (phase === "loss" && !forward.has(node.id)) {
    const span = maxLevel - maxForwardLevel;
    return span <= 0 ? t : staggered(t, node.level - maxForwardLevel - 1, span);
  }
  return 1;
}

export type RunState = "pending" | "running" | "done" | "idle";

/** Where a node stands in backward (before its turn, running, done); "done" stays in step. */
export function runState(id: string, input: GraphPhaseInput): RunState {
  if (input.phase === "backward" && input.backward) {
    if (!input.order.has(id)) return "idle";
    const p = nodeProgress(input.backward, id, input.t);
    return p <= 0 ? "pending" : p >= 1 ? "done" : "running";
  }
  if (input.phase === "step" && input.order.has(id)) return "done";
  return "idle";
}

/** The number on a node's badge (1: the engine ran it first), once it has run; else null. */
export function orderBadge(id: string, input: GraphPhaseInput): number | null {
  const k = input.order.get(id);
  if (k === undefined || (input.phase !== "backward" && input.phase !== "step")) return null;
  return runState(id, input) === "pending" ? null : k + 1;
}

/** A node's third line, and the tensor its sparkline draws (none for a scalar). */
export interface NodeValue {
  text: string;
  tensor: TensorValue | null | undefined;
  /** True for a parameter's .grad (drawn in the gradient's colour). */
  grad: boolean;
}

/** The third line of a node: its forward value, its parameter's .grad, or a data tensor. */
export function nodeValue(node: LayoutNode, input: GraphPhaseInput): NodeValue {
  if (node.kind === "leaf" && node.param) {
    const g = shownGrad(node.param, input);
    const s = scalarOf(g);
    return {
      text: g
        ? s !== null
          ? `.grad = ${formatNumber(s)}`
          : `.grad ${formatShape(g.shape)}`
        : ".grad = None",
      tensor: g && s === null ? g : null,
      grad: true,
    };
  }
  if (node.kind === "data") {
    // The shape is already the node's second line; the sparkline shows the values.
    return { text: "", tensor: input.data?.[node.op], grad: false };
  }
  const v = input.nodeValues?.[node.id];
  const { phase } = input;
  if (
    !v ||
    (phase !== "loss" && phase !== "zero_grad" && phase !== "backward" && phase !== "step")
  ) {
    return { text: "", tensor: null, grad: false };
  }
  const s = scalarOf(v);
  return {
    text: s !== null ? `= ${formatNumber(s)}` : formatShape(v.shape),
    tensor: s === null ? v : null,
    grad: false,
  };
}

/** An edge's label when the backward frame left its gradient out (its byte budget). */
export const LEFT_OUT = "…";

/** The gradient an edge carried in backward (what source sent along slot), as text. */
export function sentText(edge: LayoutEdge, input: GraphPhaseInput): string | null {
  if (edge.kind !== "grad") return null;
  const { backward: cap, phase } = input;
  if (!cap || (phase !== "backward" && phase !== "step")) return null;
  if (phase === "backward" && nodeProgress(cap, edge.source, input.t) < 1) return null;
  const g = cap.sent[edge.source]?.[edge.slot];
  if (!g) return cap.left_out?.includes(edge.source) ? LEFT_OUT : null;
  const s = scalarOf(g);
  return s !== null ? formatNumber(s) : numel(g.shape) > 0 ? formatShape(g.shape) : null;
}

export interface EdgeDot extends Point {
  kind: "value" | "grad";
}

/**
 * A moving dot on an edge while a phase animates: values go target → source in forward
 * and loss (as `source`, the edge's source node, is built), gradients source → target.
 */
export function edgeDot(
  edge: LayoutEdge,
  source: LayoutNode | undefined,
  input: GraphPhaseInput,
): EdgeDot | null {
  const { phase } = input;
  if (!input.animating || edge.points.length < 2) return null;
  if (phase === "forward" || phase === "loss") {
    if (!source) return null;
    const p = buildProgress(source, input);
    if (p <= 0 || p >= 1) return null;
    return { ...pointAlong([...edge.points].reverse(), p), kind: "value" };
  }
  if (phase === "backward" && input.backward && edge.kind === "grad") {
    const p = nodeProgress(input.backward, edge.source, input.t);
    if (p <= 0 || p >= 1) return null;
    return { ...pointAlong(edge.points, p), kind: "grad" };
  }
  return null;
}
