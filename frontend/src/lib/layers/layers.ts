// Per-layer health over time (pure): each captured step's LayerStats (computed by torch on
// the server) kept as a short log per parameter, and what a small chart of them needs.
import type { Histogram, LayerStats } from "../wire/protocol";
import { decodeFloat } from "../util/tensor";

/** One step's ‖Δw‖/‖w‖ of one parameter. */
export interface RatioPoint {
  iteration: number;
  ratio: number;
}

/** Ratios kept per parameter: enough for the chart, bounded however long the run. */
export const RATIO_LOG_LENGTH = 400;

export type RatioLog = Readonly<Record<string, readonly RatioPoint[]>>;

/** The log after one captured step (a new step of the same iteration replaces its point). */
export function appendRatios(
  log: RatioLog,
  iteration: number,
  layers: readonly LayerStats[],
): RatioLog {
  const out: Record<string, readonly RatioPoint[]> = { ...log };
  for (const layer of layers) {
    if (layer.ratio === null) continue;
    const ratio = decodeFloat(layer.ratio);
    const kept = (out[layer.name] ?? []).filter((p) => p.iteration < iteration);
    out[layer.name] = [...kept, { iteration, ratio }].slice(-RATIO_LOG_LENGTH);
  }
  return out;
}

export interface Bar {
  x0: number;
  x1: number;
  count: number;
}

/** A histogram as bars on [0, 1] (its share of the range), for a small SVG. */
export function histogramBars(hist: Histogram | null): Bar[] {
  if (!hist || hist.counts.length === 0) return [];
  const edges = hist.edges.map((e) => decodeFloat(e));
  const lo = edges[0] ?? 0;
  const span = (edges.at(-1) ?? 1) - lo || 1;
  return hist.counts.map((count, i) => ({
    x0: ((edges[i] ?? lo) - lo) / span,
    x1: ((edges[i + 1] ?? lo) - lo) / span,
    count,
  }));
}

/** The positive, finite ratios of a log (a log axis cannot show the others). */
export function plottable(points: readonly RatioPoint[]): RatioPoint[] {
  return points.filter((p) => Number.isFinite(p.ratio) && p.ratio > 0);
}
