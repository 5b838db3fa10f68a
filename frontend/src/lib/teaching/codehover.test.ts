import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import { describeSymbol } from "./codehover";
import type { HoverContext } from "./codehover";
import type {
  CaptureByPhase,
  GraphEvent,
  PhaseName,
  SessionEvent,
  StepCapture,
} from "../wire/protocol";

/** The context after the first `phases` phases of the recorded linear run. */
function contextAfter(phases: number): HoverContext {
  const fixture = loadFixture("linear");
  const session = fixture.frames[0] as SessionEvent;
  const graph = fixture.frames.find((f): f is GraphEvent => f.type === "graph") ?? null;
  const events = phaseEvents(fixture).slice(0, phases);
  const captures: Partial<CaptureByPhase> = {};
  for (const e of events) (captures as Record<PhaseName, unknown>)[e.phase] = e.capture;
  const last = events.at(-1);
  return {
    session,
    graph,
    params: last?.params ?? session.params,
    grads: last?.grads ?? session.grads,
    captures,
    loss: last?.loss ?? null,
    epoch: 0,
    batch: 0,
    nBatches: 1,
    lastStep: (captures.step as StepCapture | undefined) ?? null,
  };
}

describe("describeSymbol", () => {
  it("shows y_pred only once forward has run", () => {
    expect(describeSymbol("y_pred", contextAfter(0))?.note?.key).toBe("teach.hover.notYet");
    const hover = describeSymbol("y_pred", contextAfter(1));
    expect(hover?.rows[0]).toEqual({ label: "shape", value: "(100, 1)" });
  });

  it("shows a module's parameters and .grad as the panels do, with exact float32", () => {
    const hover = describeSymbol("self.linear", contextAfter(4));
    expect(hover?.title).toBe("model.linear: Linear");
    expect(hover?.rows).toContainEqual({
      label: "model.linear.weight",
      value: "0.1447 = 0.1446575 (float32)",
    });
    // Its 4 decimals are the whole float32: said once.
    expect(hover?.rows).toContainEqual({ label: "  .grad", value: "\u2212143.5077" });
  });

  it("knows the loss, the optimizer, parameters() and the last step", () => {
    const ctx = contextAfter(5);
    expect(describeSymbol("loss", ctx)?.rows[1]).toEqual({
      label: "grad_fn",
      value: "MseLossBackward0",
    });
    expect(describeSymbol("optimizer", ctx)?.rows).toContainEqual({ label: "lr", value: "0.01" });
    expect(describeSymbol("model.parameters", ctx)?.rows.map((r) => r.value)).toEqual([
      "linear.weight",
      "linear.bias",
    ]);
    expect(describeSymbol("optimizer.step", ctx)?.rows[0]?.value).toContain("→");
    expect(describeSymbol("nn", ctx)).toBeNull();
  });
});
