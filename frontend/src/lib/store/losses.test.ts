import { describe, expect, it } from "vitest";
import { appendLosses, lastLoss, lossesThrough, NO_LOSSES } from "./losses";

describe("kept losses", () => {
  it("joins chunks that follow on, and keeps the newest", () => {
    let kept = appendLosses(NO_LOSSES, { first: 0, values: [5, 4] }, 4);
    kept = appendLosses(kept, { first: 2, values: [] }, 4);
    kept = appendLosses(kept, { first: 2, values: [3, "NaN", 1] }, 4);
    expect(kept).toEqual({ first: 1, values: [4, 3, "NaN", 1] });
  });

  it("replaces what a chunk overlaps (a rewind's new branch) and restarts after a gap", () => {
    const kept = { first: 0, values: [5, 4, 3] };
    expect(appendLosses(kept, { first: 1, values: [9] }, 10)).toEqual({ first: 0, values: [5, 9] });
    expect(appendLosses(kept, { first: 7, values: [1] }, 10)).toEqual({ first: 7, values: [1] });
  });

  it("cuts at an iteration and finds the last loss before one", () => {
    const kept = { first: 3, values: [5, 4, 3] };
    expect(lossesThrough(kept, 4)).toEqual({ first: 3, values: [5, 4] });
    expect(lossesThrough(kept, 1)).toEqual({ first: 3, values: [] });
    expect(lossesThrough(kept, 9)).toBe(kept);
    expect(lastLoss(kept)).toEqual({ iteration: 5, loss: 3 });
    expect(lastLoss(kept, 5)).toEqual({ iteration: 4, loss: 4 });
    expect(lastLoss(kept, 3)).toBeNull();
    expect(lastLoss(NO_LOSSES)).toBeNull();
    expect(lastLoss({ first: 0, values: [2, null] })).toBeNull(); // no loss seen in it
  });
});
