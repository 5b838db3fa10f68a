// What a phase looks like at animation progress t (pure; shared by the panels).
import { staggered } from "./animation";
import type { Line } from "./explain";
import { PHASES } from "./protocol";
import type { BackwardCapture, PhaseName, TensorValue, WireFloat } from "./protocol";
import { formatNumber, formatTensor, scalarOf } from "./tensor";

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
    lines.push({ key: "loop.ran.loss", params: { loss: formatNumber(input.loss, 6) } });
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
