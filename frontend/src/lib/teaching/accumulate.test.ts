import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { EMPTY_FRAME, reduce } from "../store/frame";
import type { RunFrame } from "../store/frame";
import type { ZeroGradCapture } from "../wire/protocol";
import { accumulations } from "./accumulate";

/** The recorded linear run, through its second iteration's backward. */
function secondBackward(): RunFrame {
  let frame = EMPTY_FRAME;
  for (const event of loadFixture("linear").frames) {
    frame = reduce(frame, event);
    if (event.type === "phase" && event.phase === "backward" && event.iteration === 1) break;
  }
  return frame;
}

describe("accumulations", () => {
  const frame = secondBackward();
  const zero = frame.captures.zero_grad as ZeroGradCapture;

  it("is empty when zero_grad() ran (the fill replaced None)", () => {
    expect(zero.skipped).toBe(false);
    expect(accumulations(frame.captures, frame.graph).size).toBe(0);
  });

  it("pairs .grad before, the gradient sent into AccumulateGrad, and .grad after", () => {
    // The same captures as if zero_grad() had been skipped: .grad kept iteration 0's values.
    const skipped: ZeroGradCapture = { ...zero, skipped: true, after: zero.before };
    const found = accumulations({ ...frame.captures, zero_grad: skipped }, frame.graph);
    expect([...found.keys()].sort()).toEqual(["linear.bias", "linear.weight"]);
    const weight = found.get("linear.weight");
    expect(weight?.previous).toBe(zero.before["linear.weight"]);
    // TBackward0 sends the weight's gradient into AccumulateGrad:linear.weight (slot 0).
    expect(weight?.own).toBe(frame.captures.backward?.sent.TBackward0?.[0]);
    const fill = frame.captures.backward?.fills.find((f) => f.param === "linear.weight");
    expect(weight?.total).toBe(fill?.value);
    expect(accumulations({ ...frame.captures, zero_grad: skipped }, null).size).toBe(0);
  });
});
