// Data → chart geometry for the loss, fit and comparison charts (pure: D3 scales, no DOM).
import { interpolateRgb } from "d3-interpolate";
import { scaleLinear, scaleLog } from "d3-scale";
import type { ScaleContinuousNumeric } from "d3-scale";
import type {
  FitView,
  LossChunk,
  PhaseEvent,
  SessionEvent,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { decodeFloat, decodeValues } from "../util/tensor";

export type YScaleKind = "linear" | "log";

export interface SeriesPoint {
  x: number;
  y: number;
}

/** A loss that is not a finite number: drawn as a marker, never as a tiny value. */
export interface NonFinitePoint {
  x: number;
  raw: "NaN" | "Infinity" | "-Infinity";
}

export interface LossSeries {
  points: SeriesPoint[];
  nonFinite: NonFinitePoint[];
}

/** The losses as (iteration, loss), the non-finite ones apart, iterations without a loss
 * left out; only those before `before`. */
export function lossSeries(losses: LossChunk, before: number | null = null): LossSeries {
  const points: SeriesPoint[] = [];
  const nonFinite: NonFinitePoint[] = [];
  losses.values.forEach((loss, k) => {
    const iteration = losses.first + k;
    // null: no loss was seen in that iteration (a traced script): a gap, not a point
    if (loss !== null && (before === null || iteration < before)) {
      pushValue(points, nonFinite, iteration, loss);
    }
  });
  return { points, nonFinite };
}

function pushValue(
  points: SeriesPoint[],
  nonFinite: NonFinitePoint[],
  x: number,
  loss: WireFloat,
): void {
  if (typeof loss === "string") nonFinite.push({ x, raw: loss });
  else if (Number.isFinite(loss)) points.push({ x, y: loss });
  else nonFinite.push({ x, raw: Number.isNaN(loss) ? "NaN" : loss > 0 ? "Infinity" : "-Infinity" });
}

/**
 * The y domain: from 0 (linear) or the smallest positive loss (log) to the largest. A log
 * scale cannot show 0: such losses are clamped to the bottom of the domain.
 */
export function lossDomain(ys: readonly number[], kind: YScaleKind): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const y of ys) {
    if (!Number.isFinite(y) || (kind === "log" && y <= 0)) continue;
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  if (!Number.isFinite(lo)) return kind === "log" ? [0.1, 10] : [0, 1];
  if (kind === "linear") return [Math.min(0, lo), hi > Math.min(0, lo) ? hi : lo + 1];
  return hi > lo ? [lo, hi] : [lo / 10, lo * 10];
}

/** A y scale of `kind` over `domain` to pixel `range` (niced; a log scale clamps). */
export function yScale(
  kind: YScaleKind,
  domain: [number, number],
  range: [number, number],
): ScaleContinuousNumeric<number, number> {
  if (kind === "log") return scaleLog().domain(domain).range(range).nice().clamp(true);
  return scaleLinear().domain(domain).range(range).nice();
}

/** A short tick label: 3 significant digits, exponents for the very large or small. */
export function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(0).replace("e+", "e");
  return String(Number(value.toPrecision(3)));
}

/** Log-scale ticks thinned to about `count` (d3's log ticks list every 2…9 as well). */
export function logTicks(scale: ScaleContinuousNumeric<number, number>, count: number): number[] {
  const powers = scale.ticks(count).filter((t) => Math.abs(Math.log10(t) % 1) < 1e-9);
  if (powers.length >= 3) {
    const step = Math.ceil(powers.length / count);
    return powers.filter((_, i) => i % step === 0);
  }
  // Within a decade or two: 1, 2, 5 steps (d3 lists 1…9 in each decade).
  return scale.ticks(count).filter((t) => {
    const lead = Math.round(t / 10 ** Math.floor(Math.log10(t) + 1e-9));
    return lead === 1 || lead === 2 || lead === 5;
  });
}

// ---------------------------------------------------------------- fit

export interface FitCurve {
  kind: "line" | "curve";
  points: SeriesPoint[];
}

export interface FitRegions {
  kind: "regions";
  size: number;
  extent: [number, number, number, number];
  /** P(class 1), row-major over y (rows, y0 first) then x. */
  probability: number[];
}

/** The model's output on its grid: a line or curve (x, ŷ), or class-1 probability regions. */
export function fitGeometry(fit: FitView | null | undefined): FitCurve | FitRegions | null {
  if (!fit) return null;
  const output = decodeValues(fit.output);
  if (!output) return null;
  if (fit.kind === "regions") {
    const [x0, x1, y0, y1] = fit.extent.map(Number);
    if (output.length !== fit.size * fit.size || y1 === undefined) return null;
    return {
      kind: "regions",
      size: fit.size,
      extent: [x0 as number, x1 as number, y0 as number, y1],
      probability: output,
    };
  }
  const grid = decodeValues(fit.grid);
  const xs = grid && grid.length === output.length ? grid : evenly(fit.extent, output.length);
  return { kind: fit.kind, points: xs.map((x, i) => ({ x, y: output[i] as number })) };
}

function evenly(extent: readonly number[], n: number): number[] {
  const [a = 0, b = 1] = extent;
  return Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
}

export interface DataPoints {
  /** First input column (x) and the target (y), or both inputs with a class label. */
  x: number[];
  y: number[];
  label: number[] | null;
}

/**
 * The data set as points: (x, y) for regression, or (x₁, x₂) with y as the class label
 * (x has shape (n, 2)).
 */
export function dataPoints(
  x: TensorValue | null | undefined,
  y: TensorValue | null | undefined,
): DataPoints | null {
  const xs = decodeValues(x);
  const ys = decodeValues(y);
  if (!x || !xs || !ys) return null;
  const cols = x.shape.length === 2 ? (x.shape[1] ?? 1) : 1;
  if (cols === 2) {
    const n = xs.length / 2;
    return {
      x: Array.from({ length: n }, (_, i) => xs[2 * i] as number),
      y: Array.from({ length: n }, (_, i) => xs[2 * i + 1] as number),
      label: ys.slice(0, n),
    };
  }
  return { x: xs, y: ys.slice(0, xs.length), label: null };
}

/** Finite [min, max] of values, widened a little; [0, 1] when none. */
export function paddedExtent(values: readonly number[], pad = 0.05): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const span = hi - lo || Math.abs(lo) || 1;
  return [lo - pad * span, hi + pad * span];
}

const CLASS0 = "#3b82c4";
const CLASS1 = "#e4572e";
const toClass1 = interpolateRgb("#dbe9f6", "#fbd9cc");

/** Colour of a class label (the points). */
export function classColor(label: number): string {
  return label >= 0.5 ? CLASS1 : CLASS0;
}

/** Background colour for P(class 1) = p: pale blue (class 0) to pale red (class 1). */
export function probabilityColor(p: number): string {
  if (!Number.isFinite(p)) return "rgb(26, 26, 26)";
  return toClass1(Math.min(1, Math.max(0, p)));
}

// ---------------------------------------------------------------- comparison (POST /api/compare)

export interface CompareRun {
  variant: Record<string, unknown>;
  batch_size: number;
  n_batches: number;
  losses: WireFloat[];
  epoch_losses: WireFloat[];
  diverged: boolean;
}

/** A run's loss per iteration on an epoch axis: iteration k ends at epoch (k + 1) / n_batches. */
export function compareSeries(run: CompareRun): LossSeries {
  const points: SeriesPoint[] = [];
  const nonFinite: NonFinitePoint[] = [];
  const n = Math.max(1, run.n_batches);
  run.losses.forEach((loss, k) => pushValue(points, nonFinite, (k + 1) / n, loss));
  return { points, nonFinite };
}

/** Each epoch's mean loss at epoch 1, 2, … */
export function compareEpochSeries(run: CompareRun): SeriesPoint[] {
  return run.epoch_losses
    .map((loss, e) => ({ x: e + 1, y: decodeFloat(loss) }))
    .filter((p) => Number.isFinite(p.y));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isWireFloat(v: unknown): v is WireFloat {
  return typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity";
}

/** The runs of a /api/compare answer; null when the body is not one. */
export function parseCompare(body: unknown): CompareRun[] | null {
  if (!isRecord(body) || !Array.isArray(body.runs)) return null;
  const runs: CompareRun[] = [];
  for (const r of body.runs) {
    if (
      !isRecord(r) ||
      !isRecord(r.variant) ||
      typeof r.batch_size !== "number" ||
      typeof r.n_batches !== "number" ||
      !Array.isArray(r.losses) ||
      !r.losses.every(isWireFloat) ||
      !Array.isArray(r.epoch_losses) ||
      !r.epoch_losses.every(isWireFloat)
    ) {
      return null;
    }
    runs.push({
      variant: r.variant,
      batch_size: r.batch_size,
      n_batches: r.n_batches,
      losses: r.losses,
      epoch_losses: r.epoch_losses,
      diverged: r.diverged === true,
    });
  }
  return runs;
}
