// A clock for animation tests, driven by hand.
import type { Clock } from "../util/animation";

/** A clock driven by hand: `advance(ms)` moves time and runs due frames. */
export function fakeClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let next = 1;
  const frames = new Map<number, () => void>();
  return {
    now: () => now,
    frame(cb) {
      const h = next++;
      frames.set(h, cb);
      return h;
    },
    cancelFrame(h) {
      frames.delete(h);
    },
    advance(ms) {
      const steps = Math.max(1, Math.ceil(ms / 16));
      for (let i = 0; i < steps; i++) {
        now += ms / steps;
        const due = [...frames.entries()];
        frames.clear();
        for (const [, cb] of due) cb();
      }
    },
    pending: () => frames.size,
  };
}
