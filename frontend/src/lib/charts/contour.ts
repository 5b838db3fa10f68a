// The loss landscape of `linear` over (w, b): contour bands, the path taken, the valley
// (pure: no DOM). The grid values are torch's: the server evaluates the loss on it.
import { contours } from "d3-contour";
import type { Landscape, PhaseName, StepCapture, TensorValue } from "../wire/protocol";
import { decodeValues } from "../util/tensor";

/** A decoded landscape: loss[row * w.length + col] is L(w[col], b[row]). */
export interface LandscapeGrid {
  w: number[];
  b: number[];
  loss: number[];
  optimum: [number, number];
}

export function decodeLandscape(landscape: Landscape | null | undefined): LandscapeGrid | null {
  if (!landscape) return null;
  const w = decodeValues(landscape.w);
  const b = decodeValues(landscape.b);
  const loss = decodeValues(landscape.loss);
  const [wOpt, bOpt] = landscape.optimum;
  if (!w || !b || !loss || w.length < 2 || b.length < 2 || loss.length !== w.length * b.length) {
    return null;
  }
  return { w, b, loss, optimum: [wOpt ?? Number.NaN, bOpt ?? Number.NaN] };
}

/**
 * `count` contour levels spaced evenly in log(loss) between just above the minimum and the
 * maximum: a quadratic bowl's low loss needs many close levels, its walls few.
 */
export function logThresholds(values: readonly number[], count: number): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v > 0 && v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > 0) || !Number.isFinite(lo) || count < 1) return [];
  const start = Math.log(lo) + 0.02 * (Math.log(hi) - Math.log(lo) || 1);
  const end = Math.log(hi);
  if (!(end > start)) return [hi];
  return Array.from({ length: count }, (_, i) => Math.exp(start + ((end - start) * i) / count));
}

export type Ring = [number, number][];

export interface ContourBand {
  /** Loss at or above which the band lies. */
  value: number;
  /** Polygons (outer ring, then holes) in data coordinates (w, b). */
  polygons: Ring[][];
}

/**
 * Contour bands of the grid at `thresholds`, in (w, b). d3-contour puts sample (i, j) at
 * grid coordinates (i + 0.5, j + 0.5); a coordinate g maps to w[0] + (g − 0.5)·Δw.
 */
export function contourBands(grid: LandscapeGrid, thresholds: readonly number[]): ContourBand[] {
  const cols = grid.w.length;
  const rows = grid.b.length;
  const w0 = grid.w[0] as number;
  const b0 = grid.b[0] as number;
  const dw = ((grid.w[cols - 1] as number) - w0) / (cols - 1);
  const db = ((grid.b[rows - 1] as number) - b0) / (rows - 1);
  // Non-finite samples (an overflowing loss) are treated as the highest wall.
  const top = Math.max(...grid.loss.filter(Number.isFinite), 0);
  const values = grid.loss.map((v) => (Number.isFinite(v) ? v : top));
  const generator = contours().size([cols, rows]).thresholds(thresholds.slice());
  return generator(values).map((multi) => ({
    value: multi.value,
    polygons: multi.coordinates.map((polygon) =>
      polygon.map((ring) =>
        ring.map((point): [number, number] => [
          w0 + ((point[0] as number) - 0.5) * dw,
          b0 + ((point[1] as number) - 0.5) * db,
        ]),
      ),
    ),
  }));
}

/** The extent the grid covers: half a cell beyond the outer samples, like its contours. */
export function gridExtent(grid: LandscapeGrid): Extent {
  const half = (a: number[]) =>
    ((a[a.length - 1] as number) - (a[0] as number)) / (a.length - 1) / 2;
  const hw = half(grid.w);
  const hb = half(grid.b);
  return {
    w: [(grid.w[0] as number) - hw, (grid.w[grid.w.length - 1] as number) + hw],
    b: [(grid.b[0] as number) - hb, (grid.b[grid.b.length - 1] as number) + hb],
  };
}

/** How far the landscape zooms out past its grid to hold the path (times the grid's span). */
export const MAX_ZOOM_OUT = 1000;

export type Extent = { w: [number, number]; b: [number, number] };

/**
 * The (w, b) area to plot: the grid's, grown to hold the path's finite points (plus a 4 %
 * margin), so a path that zigzags outward stays in view. Points are taken in order until
 * one would stretch the area past MAX_ZOOM_OUT grid spans (the valley would shrink to a
 * dot): `shown` counts the points held, and the page says the rest are off the plot.
 */
export function viewExtent(
  grid: Extent,
  path: readonly { w: number; b: number }[],
): { extent: Extent; shown: number } {
  let w = grid.w;
  let b = grid.b;
  let shown = 0;
  const fits = (span: [number, number], grown: [number, number]) =>
    grown[1] - grown[0] <= MAX_ZOOM_OUT * (span[1] - span[0]);
  for (const p of path) {
    if (!Number.isFinite(p.w) || !Number.isFinite(p.b)) break;
    const nw: [number, number] = [Math.min(w[0], p.w), Math.max(w[1], p.w)];
    const nb: [number, number] = [Math.min(b[0], p.b), Math.max(b[1], p.b)];
    if (!fits(grid.w, nw) || !fits(grid.b, nb)) break;
    w = nw;
    b = nb;
    shown += 1;
  }
  const pad = (span: [number, number], own: [number, number]): [number, number] => {
    const margin = 0.04 * (span[1] - span[0]);
    return [
      span[0] === own[0] ? span[0] : span[0] - margin,
      span[1] === own[1] ? span[1] : span[1] + margin,
    ];
  };
  const same = w === grid.w && b === grid.b;
  return { extent: same ? grid : { w: pad(w, grid.w), b: pad(b, grid.b) }, shown };
}

/**
 * True when the path's last step crossed the valley floor (w = `optimumW`) and landed further
 * from it than it started: an lr too big for the valley, zigzagging outward.
 */
export function zigzagsOutward(path: readonly { w: number }[], optimumW: number): boolean {
  const last = path.filter((p) => Number.isFinite(p.w)).slice(-2);
  if (last.length < 2) return false;
  const [a, b] = last.map((p) => p.w - optimumW) as [number, number];
  return a * b < 0 && Math.abs(b) > Math.abs(a);
}

/** An SVG path for polygons, through pixel scales. */
export function polygonsPath(
  polygons: readonly Ring[][],
  x: (w: number) => number,
  y: (b: number) => number,
): string {
  let d = "";
  for (const polygon of polygons) {
    for (const ring of polygon) {
      ring.forEach(([w, b], i) => {
        d += `${i === 0 ? "M" : "L"}${x(w).toFixed(1)},${y(b).toFixed(1)}`;
      });
      d += "Z";
    }
  }
  return d;
}

/** One point of the path: the values as received (for data attributes) and as numbers. */
export interface PathPoint {
  raw: [number | string, number | string];
  w: number;
  b: number;
}

/** (w, b) of a tensor pair, as received and as numbers; null unless both are one value. */
export function pointOf(
  weight: TensorValue | null | undefined,
  bias: TensorValue | null | undefined,
): PathPoint | null {
  const rw = weight?.values;
  const rb = bias?.values;
  if (!rw || !rb || rw.length !== 1 || rb.length !== 1) return null;
  const [w] = decodeValues(weight) as [number];
  const [b] = decodeValues(bias) as [number];
  return { raw: [rw[0] as number | string, rb[0] as number | string], w, b };
}

/** Consecutive duplicates removed: the path moves only when a step moved the parameters. */
export function dedupePath(points: readonly (PathPoint | null)[]): PathPoint[] {
  const out: PathPoint[] = [];
  for (const p of points) {
    if (!p) continue;
    const last = out[out.length - 1];
    if (last && last.raw[0] === p.raw[0] && last.raw[1] === p.raw[1]) continue;
    out.push(p);
  }
  return out;
}

/** The same points as received, in the same order (a path that did not move). */
export function samePath(a: readonly PathPoint[], b: readonly PathPoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i];
    return q !== undefined && p.raw[0] === q.raw[0] && p.raw[1] === q.raw[1];
  });
}

/**
 * Curvature of the MSE bowl of y = w·x + b: its Hessian is 2·[[mean x², mean x], [mean x, 1]].
 * The eigenvalues are the steepness across and along the valley; their ratio (the
 * condition number) is how much faster w settles than b creeps when x is not centred.
 */
export function valleyShape(x: readonly number[]): {
  steep: number;
  flat: number;
  ratio: number;
  meanX: number;
} | null {
  const finite = x.filter(Number.isFinite);
  if (finite.length === 0) return null;
  const n = finite.length;
  const mean = finite.reduce((s, v) => s + v, 0) / n;
  const meanSq = finite.reduce((s, v) => s + v * v, 0) / n;
  const a = 2 * meanSq;
  const c = 2 * mean;
  const d = 2;
  const tr = a + d;
  const disc = Math.sqrt(Math.max(0, (a - d) ** 2 + 4 * c * c));
  const steep = (tr + disc) / 2;
  const flat = (tr - disc) / 2;
  return { steep, flat, ratio: flat > 0 ? steep / flat : Number.POSITIVE_INFINITY, meanX: mean };
}

/** The part of a timeline frame that holds the parameters at that moment. */
interface ParamsFrame {
  kind: "session" | "phase";
  state: {
    session: { params: Record<string, TensorValue> } | null;
    event: { params: Record<string, TensorValue> } | null;
  };
}

/** The path taken: (w, b) of every frame up to index `end`, repeats dropped. */
export function pathThrough(
  frames: readonly ParamsFrame[],
  end: number,
  weight: string,
  bias: string,
): PathPoint[] {
  const points: (PathPoint | null)[] = [];
  for (let i = 0; i <= Math.min(end, frames.length - 1); i++) {
    const f = frames[i] as ParamsFrame;
    const params = f.kind === "session" ? f.state.session?.params : f.state.event?.params;
    points.push(pointOf(params?.[weight], params?.[bias]));
  }
  return dedupePath(points);
}

export interface StepArrows {
  from: { w: number; b: number };
  to: { w: number; b: number };
  /** ∂loss/∂w, ∂loss/∂b (0 for a parameter without .grad, e.g. frozen). */
  grad: readonly [number, number];
}

export interface ArrowInput {
  phase: PhaseName | null;
  step: StepCapture | undefined;
  params: Record<string, TensorValue>;
  grads: Record<string, TensorValue | null>;
  lr: number | null;
  weight: string;
  bias: string;
}

const first = (t: TensorValue | null | undefined): number => decodeValues(t)?.[0] ?? 0;

/**
 * At `step`: the step torch took (before → after) and the gradient it used. At `backward`:
 * the gradient just computed, and where plain SGD's −lr·∇L would take the parameters.
 */
export function stepArrows(input: ArrowInput): StepArrows | null {
  const { phase, step, params, grads, lr, weight, bias } = input;
  if (phase === "step" && step) {
    const uw = step.updates.find((u) => u.name === weight);
    const ub = step.updates.find((u) => u.name === bias);
    const from = pointOf(uw?.before ?? params[weight], ub?.before ?? params[bias]);
    const to = pointOf(uw?.after ?? params[weight], ub?.after ?? params[bias]);
    if (!from || !to) return null;
    return { from, to, grad: [first(uw?.grad), first(ub?.grad)] };
  }
  if (phase === "backward" && lr !== null) {
    const from = pointOf(params[weight], params[bias]);
    if (!from) return null;
    const grad = [first(grads[weight]), first(grads[bias])] as const;
    return { from, to: { w: from.w - lr * grad[0], b: from.b - lr * grad[1] }, grad };
  }
  return null;
}
