// Wire tensors → numbers, text and colours (pure: no DOM, no state).
//
// A finite value arrives as the shortest decimal that round-trips to torch's
// float32, so `Math.fround(Number(x))` is exactly torch's number; NaN and the
// infinities arrive as the strings "NaN", "Infinity" and "-Infinity".
import { interpolateRgb } from "d3-interpolate";
import { sameItems } from "../graph/stable";
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
  // Tensors are never changed once received, and the store hands the same object back while
  // the numbers stay the same: written once per tensor, not once per event.
  let json = jsonOf.get(tensor);
  if (json === undefined) jsonOf.set(tensor, (json = JSON.stringify(tensor.values ?? null)));
  return json;
}
const jsonOf = new WeakMap<TensorValue, string>();
const nonFiniteOf = new WeakMap<TensorValue, boolean>();

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
  // Asked for every graph node on every frame: a tensor of many values is not decoded whole
  // only to find that it is not a scalar (mlp's data batch: 200 values, ~0.4 ms an event).
  const value = tensor?.values?.length === 1 ? tensor.values[0] : undefined;
  return value === undefined ? null : decodeFloat(value);
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

const ZERO_HEX = "#f7f7f7";
const NEG_HEX = "#2166ac";
const POS_HEX = "#b2182b";
const NEG = interpolateRgb(ZERO_HEX, NEG_HEX);
const POS = interpolateRgb(ZERO_HEX, POS_HEX);
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

/** The red, green and blue of a `#rrggbb` colour. */
export const hexChannels = (hex: string): [number, number, number] => [
  parseInt(hex.slice(1, 3), 16),
  parseInt(hex.slice(3, 5), 16),
  parseInt(hex.slice(5, 7), 16),
];
const ZERO_RGB = hexChannels(ZERO_HEX);
const NEG_RGB = hexChannels(NEG_HEX);
const POS_RGB = hexChannels(POS_HEX);
const NONFINITE_RGB = hexChannels(NONFINITE_COLOR);

/**
 * The heatColor of each value as RGBA pixels, one per cell (`cells` ≥ values; the cells after
 * the last value stay transparent): a heatmap written in one putImageData instead of a
 * fillStyle string parsed per cell. Channels are rounded as d3's rgb() strings are.
 */
export function heatPixels(
  values: readonly number[],
  range: number,
  cells: number,
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(new ArrayBuffer(Math.max(cells, values.length) * 4));
  const [r0, g0, b0] = ZERO_RGB;
  values.forEach((v, i) => {
    const k = i * 4;
    out[k + 3] = 255;
    if (!Number.isFinite(v)) {
      [out[k], out[k + 1], out[k + 2]] = NONFINITE_RGB;
      return;
    }
    const t = range <= 0 ? 0 : Math.min(1, Math.abs(v) / range);
    const [r1, g1, b1] = v < 0 ? NEG_RGB : POS_RGB;
    out[k] = Math.round(r0 + (r1 - r0) * t);
    out[k + 1] = Math.round(g0 + (g1 - g0) * t);
    out[k + 2] = Math.round(b0 + (b1 - b0) * t);
  });
  return out;
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

/**
 * Whether two summaries say the same (every statistic, bin and first value): a new event
 * repeats a parameter's summary until the step changes it, and a view that keeps the one it
 * has then does not rebuild its histogram.
 */
export function sameSummary(
  a: TensorSummary | null | undefined,
  b: TensorSummary | null | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.numel === b.numel &&
    a.min === b.min &&
    a.max === b.max &&
    a.mean === b.mean &&
    a.std === b.std &&
    sameItems(a.first, b.first) &&
    sameItems(a.histogram.counts, b.histogram.counts) &&
    sameItems(a.histogram.edges, b.histogram.edges)
  );
}

/** Whether two wire tensors say the same: shape, dtype, the values as sent, the summary. */
export function sameTensor(
  a: TensorValue | null | undefined,
  b: TensorValue | null | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const values = a.values && b.values ? sameItems(a.values, b.values) : !a.values && !b.values;
  return (
    a.dtype === b.dtype &&
    sameItems(a.shape, b.shape) &&
    values &&
    sameSummary(a.summary ?? null, b.summary ?? null)
  );
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
  if (tensor.values) {
    // Asked several times an event per tensor (the run's state, each view's title and mark)
    // of tensors that are never changed once received and often handed on unchanged to the
    // next frame: each array is scanned once.
    let found = nonFiniteOf.get(tensor);
    if (found === undefined) {
      found = tensor.values.some((v) => typeof v === "string");
      nonFiniteOf.set(tensor, found);
    }
    return found;
  }
  const s = tensor.summary;
  if (!s) return false;
  return [s.min, s.max, s.mean, s.std].some((v) => typeof v === "string");
}
