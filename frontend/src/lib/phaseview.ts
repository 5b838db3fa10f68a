// What a phase looks like at animation progress t (pure; shared by the panels).
import { staggered } from "./animation";
import type { BackwardCapture, PhaseName, TensorValue } from "./protocol";

export interface GradInput {
  phase: PhaseName | null;
  t: number;
  backward: BackwardCapture | undefined;
  grads: Record<string, TensorValue | null>;
  previousGrads: Record<string, TensorValue | null>;
}

/** Progress of the backward animation at `node` (1 outside backward or for unknown nodes). */
export function nodeProgress(
  backward: BackwardCapture | undefined,
  node: string,
  t: number,
): number {
  if (!backward) return 1;
  const n = backward.order.length;
  const k = backward.order.indexOf(node);
  return k < 0 ? 1 : staggered(t, k, n);
}

/** Progress of the fill of `param`'s .grad in the running backward animation. */
export function fillProgress(param: string, input: GradInput): number {
  if (input.phase !== "backward" || !input.backward) return 1;
  const fill = input.backward.fills.find((f) => f.param === param);
  if (!fill) return 1;
  return nodeProgress(input.backward, fill.node, input.t);
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
