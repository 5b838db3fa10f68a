import { describe, expect, it } from "vitest";
import { replayPlan, stepsBetween } from "./replay";
import { formatHash, parseHash } from "./urlstate";

describe("stepsBetween", () => {
  it("goes by whole iterations between the phases at either end", () => {
    // From before backward of iteration 2 (position 13) to before loss of iteration 7 (36).
    expect(stepsBetween(13, 36)).toEqual([
      { type: "step", unit: "phase", count: 2 },
      { type: "step", unit: "iteration", count: 4 },
      { type: "step", unit: "phase", count: 1 },
    ]);
    expect(stepsBetween(0, 5000)).toEqual([{ type: "step", unit: "iteration", count: 1000 }]);
    expect(stepsBetween(2, 4)).toEqual([{ type: "step", unit: "phase", count: 2 }]);
    expect(stepsBetween(10, 10)).toEqual([]);
  });

  it("cuts counts over the command bound into parts", () => {
    const steps = stepsBetween(0, 250_000 * 5);
    expect(steps).toEqual([
      { type: "step", unit: "iteration", count: 100_000 },
      { type: "step", unit: "iteration", count: 100_000 },
      { type: "step", unit: "iteration", count: 50_000 },
    ]);
  });
});

describe("replayPlan", () => {
  it("steps to each set, sets, and steps on to the position", () => {
    const plan = replayPlan(200, [
      { position: 60, changes: { lr: 0.1 } },
      { position: 32, changes: { skip_zero_grad: true } },
    ]);
    expect(plan.commands).toEqual([
      { type: "step", unit: "iteration", count: 6 },
      { type: "step", unit: "phase", count: 2 },
      { type: "set", skip_zero_grad: true },
      { type: "step", unit: "phase", count: 3 },
      { type: "step", unit: "iteration", count: 5 },
      { type: "set", lr: 0.1 },
      { type: "step", unit: "iteration", count: 28 },
    ]);
    expect(plan.skipped).toBe(0);
  });

  it("round-trips through the link", () => {
    const hash = formatHash(
      { scenario: "linear", config: {}, lang: "en" },
      {},
      {
        position: 203,
        sets: [{ position: 60, changes: { lr: 0.1, momentum: 0.5 } }],
      },
    );
    expect(hash).toBe("#scenario=linear&set=12:lr=0.1;momentum=0.5&at=40.backward&lang=en");
    const back = parseHash(hash);
    expect(back?.position).toBe(203);
    expect(back?.sets).toEqual([{ position: 60, changes: { lr: 0.1, momentum: 0.5 } }]);
    expect(back?.config).toEqual({});
  });

  it("ignores a malformed position or set instead of guessing", () => {
    const back = parseHash("#scenario=linear&at=4.nope&set=3:lr=abc&set=x:lr=1");
    expect(back?.position).toBeUndefined();
    expect(back?.sets).toBeUndefined();
  });
});
