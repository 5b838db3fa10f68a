// "Run to" an iteration or an epoch (pure): the one `step` command that gets there, and how
// far a long one has come.
//
// Counting as the notes' reference log does: its loop is `for epoch in range(epochs)` over
// the whole data set, and it prints `Epoch [k/N]` after the k-th pass, counting from 1. So
// "epoch 1000" is the state after 1000 passes over the data (1000 × n_batches updates), and
// the loss it prints is the one computed in that pass's last forward. The page's own
// counters start at 0: the iteration that just ran in that state is number 1000·n − 1.
import type { RunFrame } from "./frame";
import { pausedPosition, phasePosition, PHASES_PER_ITERATION } from "./timeline";
import type { StepUnit } from "../wire/protocol";

export type RunToUnit = "iteration" | "epoch";

export interface RunToPlan {
  unit: StepUnit;
  count: number;
  /** Iterations (updates) completed when the command ends. */
  targetIteration: number;
}

/** The most a step may ask for (StepCommand's bound). */
export const MAX_STEP_COUNT = 100_000;

/** Phases run in `frame` (0 before the first session). */
export function framePosition(frame: RunFrame): number {
  const event = frame.event;
  const session = frame.session;
  if (event) return phasePosition(event.iteration, event.phase);
  if (session) return pausedPosition(session.iteration, session.next_phase);
  return 0;
}

/** Iterations completed (whole updates) in `frame`: a step in progress does not count. */
export function completedIterations(frame: RunFrame): number {
  return Math.floor(framePosition(frame) / PHASES_PER_ITERATION);
}

/**
 * The step that ends after `target` iterations, or `target` epochs (each `nBatches`
 * iterations), done in all; null when the run is already there or past it (it cannot go
 * back by running) or the target is not a whole number.
 */
export function runToPlan(
  completed: number,
  nBatches: number,
  unit: RunToUnit,
  target: number,
): RunToPlan | null {
  if (!Number.isInteger(target) || target < 1) return null;
  const batches = Math.max(1, Math.floor(nBatches) || 1);
  const targetIteration = unit === "epoch" ? target * batches : target;
  const missing = targetIteration - completed;
  if (missing < 1) return null;
  // Whole epochs when the run stands at an epoch's start: a smaller count on the wire.
  if (unit === "epoch" && completed % batches === 0) {
    return { unit: "epoch", count: missing / batches, targetIteration };
  }
  return { unit: "iteration", count: missing, targetIteration };
}

/** Whether a plan fits in one command (else the learner is told to go in parts). */
export function fitsOneCommand(plan: RunToPlan): boolean {
  return plan.count <= MAX_STEP_COUNT;
}

export interface RunProgress {
  /** Iteration the run stood at when the command started. */
  first: number;
  done: number;
  total: number;
}

/** Fraction of the run done, 0…1. */
export function progressFraction(progress: RunProgress): number {
  return progress.total > 0 ? Math.min(1, Math.max(0, progress.done / progress.total)) : 1;
}
