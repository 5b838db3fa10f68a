// One tensor sent in full on request (the `tensor` command) → a grid of cells and their
// colours (pure: no DOM). The numbers are torch's, decoded exactly; the page only maps
// them to colours with a D3 scale and finds the cell under the pointer.
import { interpolateRgb } from "d3-interpolate";
import { scaleLinear } from "d3-scale";
import type { PhaseEvent, TensorCommand, TensorEvent, TensorValue } from "../wire/protocol";
import { decodeValues, gridShape, NONFINITE_COLOR } from "../util/tensor";

/** What one request names: a parameter and which of its tensors. */
export interface TensorAsk {
  name: string;
  kind: NonNullable<TensorCommand["kind"]>;
  key: TensorCommand["key"];
}

export interface FullGrid {
  rows: number;
  cols: number;
  /** Every value, row-major (a 2-d tensor keeps its rows; others wrap at 32 columns). */
  values: number[];
  min: number;
  max: number;
  /** Values that are NaN or ±∞ (drawn black). */
  nonFinite: number;
}

/** The grid of a tensor sent in full; null when only a summary (or nothing) came. */
export function fullGrid(value: TensorValue | null | undefined): FullGrid | null {
  const values = decodeValues(value);
  if (!value || !values) return null;
  const { rows, cols } = gridShape(value.shape);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nonFinite = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) nonFinite += 1;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (nonFinite === values.length) min = max = 0;
  return { rows, cols, values, min, max, nonFinite };
}

/**
 * The colour of a value: a diverging D3 scale on [−r, r] with r = max |value| (blue below
 * 0, near-white at 0, red above), so the sign reads at a glance; NaN and ±∞ are black.
 */
export function colourOf(grid: FullGrid): (value: number) => string {
  const range = Math.max(Math.abs(grid.min), Math.abs(grid.max)) || 1;
  const scale = scaleLinear<string>()
    .domain([-range, 0, range])
    .range(["#2166ac", "#f7f7f7", "#b2182b"])
    .interpolate(interpolateRgb)
    .clamp(true);
  return (value) => (Number.isFinite(value) ? scale(value) : NONFINITE_COLOR);
}

/** The cell at (row, col), with its value; null outside the grid or past the last value. */
export function cellAt(
  grid: FullGrid,
  row: number,
  col: number,
): { row: number; col: number; value: number } | null {
  if (row < 0 || col < 0 || row >= grid.rows || col >= grid.cols) return null;
  const value = grid.values[row * grid.cols + col];
  return value === undefined ? null : { row, col, value };
}

/** True when `event` answers `ask` (a later answer replaces an earlier one of the same ask). */
export function answers(event: TensorEvent | null, ask: TensorAsk): event is TensorEvent {
  return (
    event !== null &&
    event.name === ask.name &&
    event.kind === ask.kind &&
    (event.key ?? null) === (ask.key ?? null)
  );
}

/** True when a parameter's values travel as a summary: the page may ask for them in full. */
export function travelsAsSummary(value: TensorValue | null | undefined): boolean {
  return value?.summary !== undefined && value.summary !== null;
}

/** Cell sizes that keep a grid readable: at most `width` px wide, 1–12 px per cell. */
export function cellSize(grid: FullGrid, width = 320): { w: number; h: number } {
  const w = Math.max(1, Math.min(12, Math.floor(width / grid.cols)));
  return { w, h: w };
}

/**
 * True when the answer is from the moment the frame shows: the run had not moved on. A
 * frame after a phase stands before its `next_phase` (after `step`: the next iteration's
 * forward), which is where a `tensor` answer says it stood.
 */
export function sameMoment(answer: TensorEvent, frame: PhaseEvent | null): boolean {
  if (frame === null) return answer.iteration === 0 && answer.next_phase === "forward";
  const iteration = frame.phase === "step" ? frame.iteration + 1 : frame.iteration;
  return answer.iteration === iteration && answer.next_phase === frame.next_phase;
}
