// Wire tensors → numbers, text and colours (pure: no DOM, no state).
//
// A finite value arrives as the shortest decimal that round-trips to torch's
// float32, so `Math.fround(Number(x))` is exactly torch's number; NaN and the
// infinities arrive as the strings "NaN", "Infinity" and "-Infinity".
import { interpolateRgb } from "d3-interpolate";
import type { TensorSummary, TensorValue, WireFloat } from "../wire/protocol";

/** One wire float as a JS number (NaN/±Infinity for their strings). */
export function decodeFloat(value: WireFloat | null | undefined): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === "number") return value;
  switch (value) {
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return Number.NaN;
  }
}

/** All values of a tensor, row-major (null when only a summary was sent). */
export function decodeValues(tensor: TensorValue | null | undefined): number[] | null {
  if (!tensor?.values) return null;
  return tensor.values.map(decodeFloat);
}

/** Number of elements of a shape (1 for a 0-d tensor). */
export function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The exact values as received, as JSON: what `data-value` carries. */
export function valuesJson(tensor: TensorValue | null | undefined): string {
  if (!tensor) return "null";
  return JSON.stringify(tensor.values ?? null);
}

const MINUS = "\u2212";

/** Decimals shown in the everyday range (the notes' reference log prints `{loss:.4f}`). */
export const SHOWN_DECIMALS = 4;

/**
 * THE format of a number on the page; every panel prints values with it, so one value at
 * one moment reads the same everywhere (a digits knob per call site made the same loss
 * read 18170.023438 in one panel and 18170.0234 in another). The rule:
 * - 1e-3 ≤ |x| < 1e6: 4 decimals (18170.0234, 0.1447, −143.5077);
 * - otherwise 4 significant digits in scientific form (1.500e−7, 2.757e36);
 * - a value that 4 decimals would print as 0.0000 keeps 2 significant digits;
 * - NaN, ∞ and −∞ written plainly; a real minus sign.
 * Where a panel shows torch's exact float32 instead, it writes the shortest decimal that
 * reads back as that float32 (`shortest32` in teaching/texnum) and says it is exact.
 */
export function formatNumber(value: number | WireFloat | null | undefined): string {
  const x = typeof value === "number" ? value : decodeFloat(value);
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "∞";
  if (x === Number.NEGATIVE_INFINITY) return `${MINUS}∞`;
  if (x === 0) return Object.is(x, -0) ? `${MINUS}0` : "0";
  const abs = Math.abs(x);
  let text: string;
  if (abs >= 1e-3 && abs < 1e6) {
    text = abs.toFixed(SHOWN_DECIMALS);
    // Keep a significant digit when rounding would print 0.0000.
    if (Number(text) === 0) text = abs.toPrecision(2);
  } else {
    text = abs.toExponential(SHOWN_DECIMALS - 1).replace("e+", "e");
    text = text.replace("e-", `e${MINUS}`);
  }
  return x < 0 ? `${MINUS}${text}` : text;
}

/** A signed change, always with its sign: "+1.4351", "−0.0200" (formatNumber's digits). */
export function formatDelta(delta: number): string {
  if (Number.isNaN(delta)) return "NaN";
  const body = formatNumber(Math.abs(delta));
  return delta < 0 || Object.is(delta, -0) ? `${MINUS}${body}` : `+${body}`;
}

/**
 * A long integer (an id() or data_ptr()) cut in the middle to fit a small box: its first and
 * last `keep` digits around "…" ("1398…7840"); unchanged when it is short enough already.
 */
export function shortenMiddle(text: string, keep = 4): string {
  return text.length <= 2 * keep + 1 ? text : `${text.slice(0, keep)}…${text.slice(-keep)}`;
}

/** A formatted number as a term after "+": negative ones in parentheses ("+ (−40.2515)"). */
export function signedTerm(text: string): string {
  return text.startsWith(MINUS) ? `(${text})` : text;
}

/** "(100, 1)" like torch prints a shape; "()" for a scalar. */
export function formatShape(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/** Short text for a whole tensor: its single value, or its first values and shape. */
export function formatTensor(tensor: TensorValue | null | undefined, max = 4): string {
  if (!tensor) return "None";
  const values = decodeValues(tensor);
  if (values && values.length === 1) return formatNumber(values[0]);
  const shown = values ?? (tensor.summary?.first ?? []).map(decodeFloat);
  const head = shown.slice(0, max).map((v) => formatNumber(v));
  const total = values ? values.length : (tensor.summary?.numel ?? numel(tensor.shape));
  const more = total > head.length ? ", …" : "";
  return `[${head.join(", ")}${more}] ${formatShape(tensor.shape)}`;
}

/** The only value of a one-element tensor, else null. */
export function scalarOf(tensor: TensorValue | null | undefined): number | null {
  const values = decodeValues(tensor);
  return values && values.length === 1 ? (values[0] ?? null) : null;
}

/** Element-wise after − before, when both have values of the same length. */
export function deltaValues(
  before: TensorValue | null | undefined,
  after: TensorValue | null | undefined,
): number[] | null {
  const a = decodeValues(before);
  const b = decodeValues(after);
  if (!a || !b || a.length !== b.length) return null;
  return b.map((v, i) => v - (a[i] ?? Number.NaN));
}

/** Largest finite |value| (0 when none), the half-range of a symmetric colour scale. */
export function maxAbs(values: readonly number[]): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m;
}

const NEG = interpolateRgb("#f7f7f7", "#2166ac");
const POS = interpolateRgb("#f7f7f7", "#b2182b");
export const NONFINITE_COLOR = "#1a1a1a";

/**
 * Diverging colour of `value` on [−range, range]: blue below 0, red above, near-white at 0.
 * NaN and ±∞ are drawn black so they cannot pass for a small number.
 */
export function heatColor(value: number, range: number): string {
  if (!Number.isFinite(value)) return NONFINITE_COLOR;
  if (range <= 0) return NEG(0);
  const t = Math.min(1, Math.abs(value) / range);
  return value < 0 ? NEG(t) : POS(t);
}

/**
 * Rows × columns for drawing a tensor as a grid: a matrix as it is (last dim across),
 * vectors and (n, 1) columns wrapped into rows of at most `wrap` cells.
 */
export function gridShape(shape: readonly number[], wrap = 32): { rows: number; cols: number } {
  const n = numel(shape);
  const last = shape[shape.length - 1] ?? 1;
  if (shape.length >= 2 && last > 1) return { rows: Math.max(1, n / last), cols: last };
  const cols = Math.max(1, Math.min(n, wrap));
  return { rows: Math.max(1, Math.ceil(n / cols)), cols };
}

export interface HistogramBar {
  x0: number;
  x1: number;
  count: number;
}

/** The summary's histogram as bars (bins with non-finite edges are dropped). */
export function histogramBars(summary: TensorSummary): HistogramBar[] {
  const edges = summary.histogram.edges.map(decodeFloat);
  const bars: HistogramBar[] = [];
  summary.histogram.counts.forEach((count, i) => {
    const x0 = edges[i];
    const x1 = edges[i + 1];
    if (x0 !== undefined && x1 !== undefined && Number.isFinite(x0) && Number.isFinite(x1)) {
      bars.push({ x0, x1, count });
    }
  });
  return bars;
}

/** True when any value (or summary statistic) is NaN or infinite. */
export function hasNonFinite(tensor: TensorValue | null | undefined): boolean {
  if (!tensor) return false;
  if (tensor.values) return tensor.values.some((v) => typeof v === "string");
  const s = tensor.summary;
  if (!s) return false;
  return [s.min, s.max, s.mean, s.std].some((v) => typeof v === "string");
}
