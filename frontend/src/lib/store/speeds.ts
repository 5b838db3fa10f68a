// The stops of the speed control (pure). A stop is "rate units per second"; how fast that
// really is depends on the run: an epoch is n_batches iterations, an iteration 5 phases.
// With full batch an epoch *is* one iteration, so "10 epochs/s" would be slower than
// "30 iterations/s": the stops a run offers are only those faster than the one before.
import type { StepUnit } from "../wire/protocol";
import { PHASES_PER_ITERATION } from "./timeline";

/** One stop of the speed control: `rate` steps of `unit` per second. */
export interface Speed {
  unit: StepUnit;
  rate: number;
}

/** Every stop any run may offer, slowest first for a run with many batches per epoch. */
export const SPEED_STOPS: readonly Speed[] = [
  { unit: "phase", rate: 0.5 },
  { unit: "phase", rate: 1 },
  { unit: "phase", rate: 2 },
  { unit: "phase", rate: 5 },
  { unit: "phase", rate: 10 },
  { unit: "phase", rate: 30 },
  { unit: "phase", rate: 60 },
  { unit: "iteration", rate: 30 },
  { unit: "epoch", rate: 10 },
  { unit: "epoch", rate: 60 },
];
export const DEFAULT_SPEED = 2;

/** Phases per second a stop plays at, for a run with `nBatches` batches per epoch. */
export function phasesPerSecond(speed: Speed, nBatches: number): number {
  const batches = Math.max(1, Math.floor(nBatches) || 1);
  switch (speed.unit) {
    case "phase":
      return speed.rate;
    case "iteration":
      return speed.rate * PHASES_PER_ITERATION;
    case "epoch":
      return speed.rate * PHASES_PER_ITERATION * batches;
  }
}

/** The stops for a run with `nBatches` batches per epoch: each strictly faster than the last. */
export function speedsFor(nBatches: number): Speed[] {
  const out: Speed[] = [];
  let fastest = -Infinity;
  for (const speed of SPEED_STOPS) {
    const pps = phasesPerSecond(speed, nBatches);
    if (pps > fastest) {
      out.push(speed);
      fastest = pps;
    }
  }
  return out;
}

/**
 * Where `speed` (as played with `fromBatches`) lands among `stops` (for `toBatches`): the
 * same stop if there is one, else the fastest stop that is not faster than it was.
 */
export function closestSpeedIndex(
  stops: readonly Speed[],
  speed: Speed,
  fromBatches: number,
  toBatches: number,
): number {
  const same = stops.findIndex((s) => s.unit === speed.unit && s.rate === speed.rate);
  if (same >= 0) return same;
  const target = phasesPerSecond(speed, fromBatches);
  let best = 0;
  stops.forEach((s, i) => {
    if (phasesPerSecond(s, toBatches) <= target) best = i;
  });
  return best;
}

/**
 * Phases per second from which the page draws each phase's changes at once, with no CSS
 * fade: a phase then lasts 100 ms or less, shorter than the fades (150–300 ms), so a fade
 * never finished before the next phase began (the loop card's highlight lagged behind the
 * phase shown), and each one restyled and repainted its element in every frame it ran.
 */
export const BRISK_PHASES_PER_SECOND = 10;

/** True while playing at `BRISK_PHASES_PER_SECOND` or faster (see there). */
export function playsBrisk(playing: boolean, speed: Speed, nBatches: number): boolean {
  return playing && phasesPerSecond(speed, nBatches) >= BRISK_PHASES_PER_SECOND;
}
