import { describe, expect, it } from "vitest";
import { format } from "../../i18n/index.svelte";
import { en } from "../../i18n/en";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import { displayNames, explainPhase, MAX_LINES } from "./explain";
import type { Line } from "../util/line";
import type { CaptureByPhase, PhaseName, SessionEvent } from "../wire/protocol";

const text = (lines: Line[]) => lines.map((l) => format(en[l.key], l.params));

function captured(name: "linear" | "mlp") {
  const fixture = loadFixture(name);
  const session = fixture.frames[0] as SessionEvent;
  const captures: Partial<CaptureByPhase> = {};
  let loss: number | string | null = null;
  for (const e of phaseEvents(fixture).slice(0, 5)) {
    (captures as Record<PhaseName, unknown>)[e.phase] = e.capture;
    loss = e.loss;
  }
  return { session, captures, input: { session, loss, nodeCount: 5 } };
}

describe("explainPhase on the first linear iteration", () => {
  const { captures, input } = captured("linear");

  it("says what model(x) ran and what came out", () => {
    const [line] = text(explainPhase("forward", captures.forward, input));
    expect(line).toContain("SimpleNet → linear (Linear)");
    expect(line).toContain("(100, 1)");
  });

  it("gives the loss", () => {
    expect(text(explainPhase("loss", captures.loss, input))).toEqual([
      "loss = MSELoss(y_pred, y) = 146.6861; autograd recorded 5 nodes",
    ]);
  });

  it("names what zero_grad, backward and step did, with numbers", () => {
    expect(text(explainPhase("zero_grad", captures.zero_grad, input))).toEqual([
      "weight.grad = None",
      "bias.grad = None",
    ]);
    expect(text(explainPhase("backward", captures.backward, input))).toContain(
      "weight.grad = ∂loss/∂weight = −143.5077",
    );
    expect(text(explainPhase("step", captures.step, input))).toEqual([
      "weight: 0.1447 → 1.5797 (+1.4351)",
      "bias: −0.2590 → −0.0424 (+0.2166)",
    ]);
  });

  it("is empty for a phase that has not run", () => {
    expect(explainPhase("step", undefined, input)).toEqual([]);
  });
});

describe("explainPhase on the mlp", () => {
  const { session, captures, input } = captured("mlp");

  it("uses qualified names when local ones repeat, and caps the list", () => {
    const names = displayNames(session);
    expect(names.get("layers.0.weight")).toBe("layers.0.weight");
    const lines = explainPhase("step", captures.step, input);
    expect(lines).toHaveLength(MAX_LINES);
    expect(lines.at(-1)?.key).toBe("explain.more");
    expect(text(lines)[0]).toMatch(/^layers\.0\.weight changed in place \(mean \|Δ\| = /);
  });
});

describe("explainPhase on a step whose values travel as summaries", () => {
  it("writes the mean |Δ| the server sent instead of a question mark", () => {
    const { captures, input } = captured("linear");
    const step = structuredClone(captures.step);
    if (!step) throw new Error("the fixture has a step");
    const [update] = step.updates;
    if (!update) throw new Error("the fixture's step has updates");
    const summary = {
      numel: 600,
      min: 0,
      max: 1,
      mean: 0.5,
      std: 0.1,
      histogram: { edges: [0, 1], counts: [600] },
      first: [0.25],
    };
    update.before = { shape: [20, 30], dtype: "float32", summary };
    update.after = { shape: [20, 30], dtype: "float32", summary };
    const [without] = text(explainPhase("step", step, input));
    expect(without).toContain("mean |Δ| = ?");
    update.mean_abs_change = 0.0125;
    const [line] = text(explainPhase("step", step, input));
    expect(line).toContain("mean |Δ| = 0.0125");
  });
});
