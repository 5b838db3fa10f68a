// The commands that bring a fresh run to where a shared link stood (pure): steps up to each
// `set` of its branch, the set, and steps on to the linked position. The server runs them in
// order with the same seed, so the numbers are torch's own at that position, not copies.
import type { Command } from "../wire/protocol";
import type { LinkedSet } from "./urlstate";
import { MAX_STEP_COUNT } from "./runto";
import { PHASES_PER_ITERATION } from "./timeline";

/** Sets a link may replay: one command each, within the server's 64 waiting messages. */
export const MAX_LINKED_SETS = 24;

/** Step commands from position `from` to `to` (phases): phases to an iteration's start,
 * whole iterations (in parts of at most MAX_STEP_COUNT), then the phases left. */
export function stepsBetween(from: number, to: number): Command[] {
  const out: Command[] = [];
  let at = from;
  const add = (unit: "phase" | "iteration", count: number) => {
    while (count > 0) {
      const part = Math.min(count, MAX_STEP_COUNT);
      out.push({ type: "step", unit, count: part });
      count -= part;
      at += unit === "phase" ? part : part * PHASES_PER_ITERATION;
    }
  };
  if (to <= at) return out;
  const toBoundary = (PHASES_PER_ITERATION - (at % PHASES_PER_ITERATION)) % PHASES_PER_ITERATION;
  if (toBoundary > 0) add("phase", Math.min(toBoundary, to - at));
  add("iteration", Math.floor((to - at) / PHASES_PER_ITERATION));
  add("phase", to - at);
  return out;
}

export interface ReplayPlan {
  commands: Command[];
  /** Sets the link held that are not replayed (beyond MAX_LINKED_SETS, or before the start). */
  skipped: number;
}

/** The commands from a new run (position 0) to `position` with `sets` made on the way. */
export function replayPlan(position: number, sets: readonly LinkedSet[]): ReplayPlan {
  const commands: Command[] = [];
  let at = 0;
  let skipped = 0;
  const ordered = [...sets].sort((a, b) => a.position - b.position);
  for (const [i, set] of ordered.entries()) {
    if (i >= MAX_LINKED_SETS || set.position > position) {
      skipped += 1;
      continue;
    }
    commands.push(...stepsBetween(at, set.position));
    at = Math.max(at, set.position);
    commands.push({ type: "set", ...set.changes });
  }
  commands.push(...stepsBetween(at, position));
  return { commands, skipped };
}
