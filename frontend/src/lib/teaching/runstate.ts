// What the run actually did, read from what torch sent (pure). The teaching texts pick their
// wording from these classes, so a page never tells a healthy story about a run that
// overshot, diverged, or left a parameter where it was.
import type {
  ParamUpdate,
  SessionEvent,
  StepCapture,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { decodeFloat, decodeValues, hasNonFinite } from "../util/tensor";

/**
 * How one step() went, worst first: a parameter became NaN/∞ (diverged); its gradient turned
 * round and grew since the previous step, so the step went past the minimum and landed
 * further from it (overshoot); it moved by more than its own size (far: a big step, which
 * from a small start can still be progress); otherwise a step smaller than the value.
 */
export type StepClass = "diverged" | "overshoot" | "far" | "healthy";

/** Euclidean norm of a tensor's values. */
function norm(values: readonly number[]): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0));
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + v * (b[i] ?? Number.NaN), 0);
}

/** |after − before| relative to |before|; null when the values were not sent. */
export function relativeMove(update: ParamUpdate): number | null {
  const a = decodeValues(update.before);
  const b = decodeValues(update.after);
  if (!a || !b || a.length !== b.length) return null;
  const moved = norm(b.map((v, i) => v - (a[i] ?? Number.NaN)));
  const size = norm(a);
  if (size === 0) return moved === 0 ? 0 : Number.POSITIVE_INFINITY;
  return moved / size;
}

/** True when the gradient points the other way than at the prior step, and is larger. */
function turnedAndGrew(update: ParamUpdate, prior: ParamUpdate | undefined): boolean {
  const g = decodeValues(update.grad);
  const g0 = decodeValues(prior?.grad);
  if (!g || !g0 || g.length !== g0.length) return false;
  return dot(g, g0) < 0 && norm(g) > norm(g0);
}

/** One parameter's step; `prior` is the same parameter's update one iteration before. */
export function classifyUpdate(update: ParamUpdate, prior?: ParamUpdate): StepClass {
  if (hasNonFinite(update.after)) return "diverged";
  if (turnedAndGrew(update, prior)) return "overshoot";
  const rel = relativeMove(update);
  return rel !== null && rel > 1 ? "far" : "healthy";
}

/** The worst class over all updates of a step, and the update that earned it. */
export function classifyStep(
  step: StepCapture | undefined,
  prior?: StepCapture,
): { kind: StepClass; update: ParamUpdate } | null {
  const updates = step?.updates ?? [];
  const priorOf = (u: ParamUpdate) => prior?.updates.find((p) => p.name === u.name);
  const order: StepClass[] = ["diverged", "overshoot", "far", "healthy"];
  for (const kind of order) {
    const update = updates.find((u) => classifyUpdate(u, priorOf(u)) === kind);
    if (update) return { kind, update };
  }
  return null;
}

/** The run's frozen parameters (requires_grad=False), as its config says. */
export function frozenOf(session: SessionEvent | null): string[] {
  const frozen = session?.config?.frozen;
  return Array.isArray(frozen) ? frozen.filter((n): n is string => typeof n === "string") : [];
}

/**
 * Parameters step() skipped, split by why: frozen ones (requires_grad=False, by the config)
 * and the others, which simply had no .grad (not on the loss's graph).
 */
export function skippedOf(
  session: SessionEvent | null,
  step: StepCapture | undefined,
): { frozen: string[]; noGrad: string[] } {
  const frozen = new Set(frozenOf(session));
  const skipped = step?.skipped ?? [];
  return {
    frozen: skipped.filter((n) => frozen.has(n)),
    noGrad: skipped.filter((n) => !frozen.has(n)),
  };
}

/** How this loss compares with the one before it. */
export type LossClass = "nonfinite" | "rose" | "fell" | "first";

export function classifyLoss(loss: WireFloat | null, previous: WireFloat | null): LossClass {
  const now = decodeFloat(loss);
  if (!Number.isFinite(now)) return "nonfinite";
  if (previous === null) return "first";
  const before = decodeFloat(previous);
  if (!Number.isFinite(before)) return "first";
  return now > before ? "rose" : "fell";
}

/** True when any parameter now holds NaN or ∞. */
export function anyNonFinite(params: Record<string, TensorValue>): boolean {
  return Object.values(params).some(hasNonFinite);
}

/**
 * Where a run stands before its first phase: at the start (iteration 0), or part-way
 * through after a rewind, reset, branch or reload (the state the page must say it is in).
 */
export type PositionClass = "start" | "resumed";

export function classifyPosition(session: SessionEvent | null): PositionClass {
  return (session?.iteration ?? 0) > 0 ? "resumed" : "start";
}

/**
 * The iteration of the graph the panel still shows when that graph is no longer the one
 * autograd holds: after step() (backward freed it; the next forward builds a new one) and
 * before the first phase after a reset, rewind, branch or reload. Null when the graph is
 * this iteration's (from forward to backward) or when there is none.
 */
export function staleGraphIteration(frame: {
  graph: unknown;
  graphIteration: number | null;
  event: { phase: string } | null;
}): number | null {
  if (frame.graph === null || frame.graphIteration === null) return null;
  const phase = frame.event?.phase ?? null;
  return phase === null || phase === "step" ? frame.graphIteration : null;
}
