import { describe, expect, it } from "vitest";
import { completedIterations, progressFraction, runToPlan } from "./runto";
import { EMPTY_FRAME } from "./frame";
import type { RunFrame } from "./frame";
import type { PhaseEvent, SessionEvent } from "../wire/protocol";

function atPhase(iteration: number, phase: PhaseEvent["phase"]): RunFrame {
  return { ...EMPTY_FRAME, event: { iteration, phase } as PhaseEvent };
}

describe("runToPlan", () => {
  it("counts epochs as the notes' log does: epoch k = after k passes over the data", () => {
    // Full batch: an epoch is one update, so epoch 1000 is 1000 updates from the start.
    expect(runToPlan(0, 1, "epoch", 1000)).toEqual({
      unit: "epoch",
      count: 1000,
      targetIteration: 1000,
    });
    // Ten batches per epoch, three epochs done: two more epochs reach epoch 5.
    expect(runToPlan(30, 10, "epoch", 5)).toEqual({
      unit: "epoch",
      count: 2,
      targetIteration: 50,
    });
  });

  it("goes by iterations when the run stands inside an epoch", () => {
    expect(runToPlan(33, 10, "epoch", 5)).toEqual({
      unit: "iteration",
      count: 17,
      targetIteration: 50,
    });
    expect(runToPlan(7, 10, "iteration", 12)).toEqual({
      unit: "iteration",
      count: 5,
      targetIteration: 12,
    });
  });

  it("refuses a target already reached or not a whole number", () => {
    expect(runToPlan(12, 1, "iteration", 12)).toBeNull();
    expect(runToPlan(12, 1, "epoch", 3)).toBeNull();
    expect(runToPlan(0, 1, "iteration", 2.5)).toBeNull();
    expect(runToPlan(0, 1, "iteration", 0)).toBeNull();
  });
});

describe("completedIterations", () => {
  it("counts only whole iterations", () => {
    expect(completedIterations(EMPTY_FRAME)).toBe(0);
    expect(completedIterations(atPhase(4, "backward"))).toBe(4);
    expect(completedIterations(atPhase(4, "step"))).toBe(5);
    const session = { iteration: 9, next_phase: "forward" } as SessionEvent;
    expect(completedIterations({ ...EMPTY_FRAME, session })).toBe(9);
  });
});

describe("progressFraction", () => {
  it("stays within 0…1", () => {
    expect(progressFraction({ first: 0, done: 250, total: 1000 })).toBe(0.25);
    expect(progressFraction({ first: 0, done: 2000, total: 1000 })).toBe(1);
    expect(progressFraction({ first: 0, done: 0, total: 0 })).toBe(1);
  });
});
