// The checks under the formulas, on the recorded runs: each agrees or disagrees as torch's
// numbers say, and an optimizer with state says where that state starts and what it left.
import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import type { FixtureName } from "../__fixtures__/load";
import type { StepCapture } from "../wire/protocol";
import { chainChecks, lossChecks, updateChecks } from "./checks";
import type { Check } from "./checks";
import type { LossFormula } from "./formulas";
import { updateFormula } from "./update";

const keys = (checks: Check[]) => checks.flatMap((c) => c.sentences.map((s) => s.key));

function firstStep(name: FixtureName): StepCapture {
  const step = phaseEvents(loadFixture(name)).find((p) => p.phase === "step");
  if (!step?.capture) throw new Error(`no step in ${name}`);
  return step.capture as StepCapture;
}

describe("checks under the formulas", () => {
  it("marks agreement by ulps: zero is agreeing, any other number is a note", () => {
    const loss = { ulps: 0, torch: 0.5, exact: 0.5 } as LossFormula;
    expect(lossChecks(loss).map((c) => c.ok)).toEqual([null, true]);
    expect(lossChecks({ ...loss, ulps: 2 }).map((c) => c.ok)).toEqual([null, null]);
    expect(lossChecks({ ...loss, ulps: 2 })[1]?.sentences[0]?.params).toEqual({ ulps: 2 });
  });

  it("says a parameter's .grad was added to only when zero_grad() was skipped", () => {
    const part = {
      param: "w",
      element: "",
      definition: "",
      filled: "",
      exact: 1,
      torch: 1,
      ulps: 0,
    };
    expect(keys(chainChecks(part, null))).toEqual([
      "teach.math.chainCheck",
      "teach.math.chainSame",
    ]);
    expect(keys(chainChecks(part, "[2]")).at(-1)).toBe("teach.math.accumulated");
  });

  it("follows the server's replay and the optimizer's state on Adam's first step", () => {
    for (const u of firstStep("teaching-adam").updates) {
      const f = updateFormula(u, ["exp_avg", "exp_avg_sq"]);
      if (!f) throw new Error(`no formula for ${u.name}`);
      const checks = updateChecks(f);
      const replay = checks.find((c) => c.sentences[0]?.key.startsWith("teach.math.replay"));
      expect(replay?.ok).toBe(u.same_bits);
      expect(keys(checks)).toContain("teach.math.priorInitial");
      const states = checks.filter((c) => c.sentences[0]?.key === "teach.math.stateAfter");
      expect(states.map((c) => c.sentences[0]?.params?.key)).toEqual(f.state.map((s) => s.key));
    }
  });

  it("writes plain SGD without any optimizer state", () => {
    for (const u of firstStep("linear").updates) {
      const f = updateFormula(u);
      if (!f) throw new Error(`no formula for ${u.name}`);
      const k = keys(updateChecks(f));
      expect(k[0]).toBe("teach.math.torch");
      expect(k.filter((key) => key.startsWith("teach.math.prior"))).toEqual([]);
    }
  });
});
