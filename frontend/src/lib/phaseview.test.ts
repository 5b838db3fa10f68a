import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "./__fixtures__/load";
import {
  fillProgress,
  nodeProgress,
  phaseRan,
  ranUncapturedLines,
  shownGrad,
  sparkBins,
} from "./phaseview";
import { formatNumber } from "./tensor";
import type { BackwardCapture } from "./protocol";

const events = phaseEvents(loadFixture("linear"));
const zeroGrad = events[2];
const backward = events[3];
if (!zeroGrad || !backward) throw new Error("linear fixture too short");
const cap = backward.capture as BackwardCapture;

describe("shownGrad during backward", () => {
  const input = (t: number) => ({
    phase: "backward" as const,
    t,
    backward: cap,
    grads: backward.grads,
    previousGrads: zeroGrad.grads,
  });

  it("keeps the old .grad until the engine reaches the parameter's AccumulateGrad", () => {
    // Order: MseLoss, Addmm, AccumulateGrad(bias), TBackward0, AccumulateGrad(weight).
    expect(shownGrad("linear.bias", input(0.3))).toBeNull();
    expect(shownGrad("linear.bias", input(0.55))?.values).toEqual([-21.657269]);
    expect(shownGrad("linear.weight", input(0.55))).toBeNull();
    expect(shownGrad("linear.weight", input(1))?.values).toEqual([-143.5077]);
  });

  it("knows how far each node and fill is", () => {
    expect(nodeProgress(cap, "MseLossBackward0", 0.2)).toBe(1);
    expect(nodeProgress(cap, "AccumulateGrad:linear.weight", 0.2)).toBe(0);
    expect(nodeProgress(cap, "unknown", 0.2)).toBe(1);
    expect(fillProgress("linear.weight", input(0.9))).toBeCloseTo(0.5);
  });

  it("shows the current grads outside animations", () => {
    const step = { ...input(0), phase: "step" as const };
    expect(shownGrad("linear.weight", step)?.values).toEqual([-143.5077]);
  });
});

describe("sparkBins", () => {
  it("bins values and summaries into [0, 1]", () => {
    const bins = sparkBins({ shape: [4], dtype: "float32", values: [0, 0, 1, "NaN"] }, 2);
    expect(bins).toEqual([1, 0.5]);
    expect(sparkBins(null)).toBeNull();
    expect(sparkBins({ shape: [1], dtype: "float32", values: [1] })).toBeNull();
  });
});

describe("phases that ran without a capture", () => {
  it("are every phase up to the latest in this iteration", () => {
    expect(phaseRan("forward", null, "forward")).toBe(false);
    expect(phaseRan("loss", "forward", "loss")).toBe(false);
    expect(phaseRan("forward", "forward", "loss")).toBe(true);
    // Step iteration sends only `step`: forward … backward ran as well.
    for (const p of ["forward", "loss", "zero_grad", "backward", "step"] as const) {
      expect(phaseRan(p, "step", "forward")).toBe(true);
    }
    // A session in the middle of an iteration (after `set`): what came before `next` ran.
    expect(phaseRan("loss", null, "zero_grad")).toBe(true);
    expect(phaseRan("zero_grad", null, "zero_grad")).toBe(false);
  });

  it("show the numbers the event carries and say the details were skipped", () => {
    const step = events[4];
    if (!step) throw new Error("linear fixture too short");
    const input = {
      loss: step.loss,
      grads: step.grads,
      skipZeroGrad: false,
      names: new Map([
        ["linear.weight", "weight"],
        ["linear.bias", "bias"],
      ]),
    };
    const loss = ranUncapturedLines("loss", input);
    expect(loss.map((l) => l.key)).toEqual(["loop.ran.loss", "loop.ran.skipped"]);
    expect(loss[0]?.params.loss).toBe(formatNumber(step.loss, 6));
    const backward = ranUncapturedLines("backward", input);
    expect(backward.map((l) => l.params.name ?? l.key)).toEqual([
      "weight",
      "bias",
      "loop.ran.skipped",
    ]);
    expect(backward[0]?.params.value).toBe("−143.5077");
    expect(ranUncapturedLines("forward", input).map((l) => l.key)).toEqual(["loop.ran.skipped"]);
    expect(
      ranUncapturedLines("zero_grad", { ...input, skipZeroGrad: true }).map((l) => l.key),
    ).toEqual(["explain.zeroGrad.skipped", "loop.ran.skipped"]);
  });
});
