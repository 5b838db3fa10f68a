// Phase animations: one at a time, each a Promise, cancellable, with one `animating` flag.
//
// The store hands every new frame's phase to `run`; whatever was still running is
// finished at once (drawn at its end state), so a fast stream of frames never
// builds a backlog. Progress is a plain number t ∈ [0, 1] pushed to `onProgress`;
// what a phase looks like at t is for the views to derive.
import type { PhaseName } from "../wire/protocol";

export type AnimationEnd = "done" | "finished" | "cancelled";

/** The clock animations read; the browser's by default, a fake one in tests. */
export interface Clock {
  now(): number;
  frame(callback: () => void): number;
  cancelFrame(handle: number): void;
}

export const browserClock: Clock = {
  now: () => performance.now(),
  frame: (cb) => requestAnimationFrame(cb),
  cancelFrame: (h) => cancelAnimationFrame(h),
};

/** Relative length of each phase's animation (backward has most to show). */
const WEIGHT: Record<PhaseName, number> = {
  forward: 1,
  loss: 0.8,
  zero_grad: 0.6,
  backward: 1.2,
  step: 0.9,
};

export interface DurationInput {
  phase: PhaseName;
  /** Frames per second while playing; null when stepping by hand. */
  rate: number | null;
  reducedMotion: boolean;
  /** Base length of a hand-stepped phase, in ms. */
  base?: number;
}

/**
 * How long a phase animates, in ms: its weight × base when stepping by hand,
 * at most 80% of the gap between frames while playing, 0 for reduced motion.
 */
export function phaseDuration({ phase, rate, reducedMotion, base = 900 }: DurationInput): number {
  if (reducedMotion) return 0;
  const own = WEIGHT[phase] * base;
  if (rate === null || rate <= 0) return own;
  const gap = 1000 / rate;
  const fit = 0.8 * gap;
  // Below ~40 ms a tween is invisible; draw end states only.
  return fit < 40 ? 0 : Math.min(own, fit);
}

/** Runs one animation at a time; a new `run` finishes the running one first. */
export class Animator {
  animating = false;
  /** Progress of the current (or last) animation. */
  t = 1;
  private handle: number | null = null;
  private settle: ((end: AnimationEnd) => void) | null = null;

  constructor(
    private readonly onProgress: (t: number, animating: boolean) => void,
    private readonly clock: Clock = browserClock,
  ) {}

  /** Animate t from 0 to 1 over `duration` ms; resolves how it ended. */
  run(duration: number): Promise<AnimationEnd> {
    this.finish();
    if (duration <= 0) {
      this.t = 1;
      this.onProgress(1, false);
      return Promise.resolve("done");
    }
    const start = this.clock.now();
    this.animating = true;
    this.t = 0;
    this.onProgress(0, true);
    return new Promise<AnimationEnd>((resolve) => {
      this.settle = resolve;
      const tick = () => {
        const t = Math.min(1, (this.clock.now() - start) / duration);
        if (t >= 1) {
          this.end("done", true);
          return;
        }
        this.t = t;
        this.onProgress(t, true);
        this.handle = this.clock.frame(tick);
      };
      this.handle = this.clock.frame(tick);
    });
  }

  /** Jump the running animation to its end state. */
  finish(): void {
    if (this.settle) this.end("finished", true);
  }

  /** Stop the running animation where it is. */
  cancel(): void {
    if (this.settle) this.end("cancelled", false);
  }

  private end(how: AnimationEnd, drawEnd: boolean): void {
    if (this.handle !== null) this.clock.cancelFrame(this.handle);
    this.handle = null;
    this.animating = false;
    const settle = this.settle;
    this.settle = null;
    if (drawEnd) this.t = 1;
    this.onProgress(this.t, false);
    settle?.(how);
  }
}

/**
 * Progress of item `index` of `count` items lit one after another over t ∈ [0, 1]:
 * 0 before its turn, rising to 1 during it, 1 after.
 */
export function staggered(t: number, index: number, count: number): number {
  if (count <= 0) return 1;
  // t·count − index, not (t − index/count)·count: exactly 1 at t = 1 for the last item.
  return Math.min(1, Math.max(0, t * count - index));
}

/** Whether the user asked the system for less motion. */
export function prefersReducedMotion(): boolean {
  return (
    typeof window !== "undefined" &&
    typeof window.matchMedia === "function" &&
    window.matchMedia("(prefers-reduced-motion: reduce)").matches
  );
}
