// The run's losses as the page keeps them: one LossChunk (iteration `first + k` has loss
// `values[k]`), the shape they have on the wire. Chunks arrive in order; a rewind cuts the
// kept ones back before new ones arrive.
import type { LossChunk, WireFloat } from "../wire/protocol";

export const NO_LOSSES: LossChunk = Object.freeze({ first: 0, values: [] as WireFloat[] });

/** The iteration after the last kept loss. */
export function lossesEnd(kept: LossChunk): number {
  return kept.first + kept.values.length;
}

/** `kept` followed by `chunk`, keeping the newest `max` values. A chunk that starts before
 * the kept end replaces what it overlaps; one after a gap starts the kept losses afresh. */
export function appendLosses(kept: LossChunk, chunk: LossChunk, max: number): LossChunk {
  if (!chunk.values.length) return kept;
  const end = lossesEnd(kept);
  let joined: LossChunk;
  if (!kept.values.length || chunk.first > end || chunk.first < kept.first) {
    joined = { first: chunk.first, values: chunk.values };
  } else {
    joined = {
      first: kept.first,
      values: kept.values.slice(0, chunk.first - kept.first).concat(chunk.values),
    };
  }
  const over = joined.values.length - max;
  return over > 0 ? { first: joined.first + over, values: joined.values.slice(over) } : joined;
}

/** The kept losses of iterations up to `through` (inclusive). */
export function lossesThrough(kept: LossChunk, through: number): LossChunk {
  const count = Math.max(0, Math.min(kept.values.length, through + 1 - kept.first));
  return count === kept.values.length
    ? kept
    : { first: kept.first, values: kept.values.slice(0, count) };
}

/** The last kept loss of an iteration before `before` (all when null), with its iteration. */
export function lastLoss(
  kept: LossChunk,
  before: number | null = null,
): { iteration: number; loss: WireFloat } | null {
  const end = before === null ? lossesEnd(kept) : Math.min(lossesEnd(kept), before);
  const k = end - 1 - kept.first;
  const loss = kept.values[k];
  // null: no loss was seen in that iteration (a traced script's), said as none
  return k >= 0 && loss !== undefined && loss !== null ? { iteration: kept.first + k, loss } : null;
}
