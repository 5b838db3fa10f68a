// The table of states: each state a run can be in, built from recorded runs (and, where no
// recording has the state, from a recorded step with its values changed), against the kind
// of text the narration shows, in both languages.
import { describe, expect, it } from "vitest";
import { en } from "../../i18n/en";
import { format } from "../../i18n/index.svelte";
import { zh } from "../../i18n/zh";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import type {
  GraphEvent,
  ParamUpdate,
  PhaseEvent,
  SessionEvent,
  StepCapture,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { lossBefore, narrate, type NarrationInput } from "./narration";
import { classifyLoss, classifyStep, classifyUpdate, relativeMove } from "./runstate";

const linear = loadFixture("linear");
const session = linear.frames[0] as SessionEvent;
const graph = linear.frames.find((f): f is GraphEvent => f.type === "graph") as GraphEvent;
const steps = phaseEvents(linear).filter((e) => e.phase === "step");
const step0 = (steps[0] as PhaseEvent).capture as StepCapture;
const step1 = (steps[1] as PhaseEvent).capture as StepCapture;
const divergedStep = phaseEvents(loadFixture("diverge")).at(-1) as PhaseEvent;

const tensor = (values: WireFloat[]): TensorValue => ({ shape: [1], dtype: "float32", values });

/** A recorded update with other numbers in it. */
function withValues(u: ParamUpdate, before: WireFloat, after: WireFloat, grad: WireFloat) {
  return { ...u, before: tensor([before]), after: tensor([after]), grad: tensor([grad]) };
}

function stepOf(updates: ParamUpdate[], skipped: string[] = []): StepCapture {
  return { ...step0, updates, skipped };
}

const [w0, b0] = step0.updates as [ParamUpdate, ParamUpdate];

function input(over: Partial<NarrationInput>): NarrationInput {
  return {
    session,
    graph,
    phase: "step",
    next: "forward",
    captures: {},
    loss: null,
    previousGrads: {},
    references: step0.references,
    iteration: 1,
    ...over,
  };
}

const frozenSession: SessionEvent = {
  ...session,
  config: { ...session.config, frozen: ["linear.bias"] },
};

interface Row {
  state: string;
  input: NarrationInput;
  /** Narration keys (without "teach.narr.") that must be shown, and ones that must not. */
  shows: string[];
  hides: string[];
}

const HEALTHY_WORDS = ["step.sgd", "step.far"];

const ROWS: Row[] = [
  {
    state: "healthy",
    input: input({
      captures: { step: stepOf([withValues(w0, 2, 1.98, 2), withValues(b0, 1, 0.99, 1)]) },
    }),
    shows: ["step.sgd", "step.inPlace"],
    hides: ["step.overshoot", "step.diverged", "step.far"],
  },
  {
    // The recorded first step of the default run: 0.1447 → 1.5797, ten times its size,
    // while the loss fell from 146.7 to 11.8: far, but not called an overshoot.
    state: "far",
    input: input({ iteration: 0, captures: { step: step0 } }),
    shows: ["step.sgd", "step.far"],
    hides: ["step.overshoot"],
  },
  {
    // The gradient turned round and grew since the step before: past the minimum.
    state: "overshoot",
    input: input({
      captures: { step: stepOf([withValues(w0, 1.5797, -3.2, 290), b0]) },
      priorStep: step0,
    }),
    shows: ["step.overshoot"],
    hides: HEALTHY_WORDS,
  },
  {
    state: "divergence",
    input: input({
      iteration: divergedStep.iteration,
      captures: { step: divergedStep.capture as StepCapture },
    }),
    shows: ["step.diverged"],
    hides: [...HEALTHY_WORDS, "step.overshoot"],
  },
  {
    state: "loss rose",
    input: input({ phase: "loss", next: "zero_grad", loss: 20.5, previousLoss: 11.791499 }),
    shows: ["loss", "loss.rose"],
    hides: ["loss.nonfinite"],
  },
  {
    state: "loss NaN",
    input: input({ phase: "loss", next: "zero_grad", loss: "NaN", previousLoss: 3.5 }),
    shows: ["loss", "loss.nonfinite"],
    hides: ["loss.rose"],
  },
  {
    state: "frozen",
    input: input({
      session: frozenSession,
      captures: { step: stepOf([withValues(w0, 2, 1.98, 2)], ["linear.bias"]) },
    }),
    shows: ["step.sgd", "step.frozen"],
    hides: ["step.noGrad"],
  },
  {
    state: "no grad",
    input: input({ captures: { step: stepOf([withValues(w0, 2, 1.98, 2)], ["linear.bias"]) } }),
    shows: ["step.sgd", "step.noGrad"],
    hides: ["step.frozen"],
  },
  {
    state: "nothing stepped",
    input: input({ captures: { step: stepOf([], ["linear.weight", "linear.bias"]) } }),
    shows: ["step.none", "step.noGrad"],
    hides: HEALTHY_WORDS,
  },
  {
    // "Continue from here" and a rewind both send a session part-way through the run,
    // while the page still holds the same model's graph from the iteration before.
    state: "after branch or rewind",
    input: input({ session: { ...session, iteration: 3 }, phase: null }),
    shows: ["resumed", "resumed.oldGraph"],
    hides: ["idle", "idle.oldGraph"],
  },
  {
    state: "after reload (no graph yet)",
    input: input({ session: { ...session, iteration: 3 }, graph: null, phase: null }),
    shows: ["resumed", "resumed.noGraph"],
    hides: ["idle", "resumed.oldGraph"],
  },
  {
    state: "after reset",
    input: input({ phase: null, iteration: 0 }),
    shows: ["idle", "idle.oldGraph"],
    hides: ["resumed"],
  },
  {
    state: "fresh start",
    input: input({ phase: null, iteration: 0, graph: null }),
    shows: ["idle"],
    hides: ["idle.oldGraph", "resumed"],
  },
];

describe("the narration in every state", () => {
  for (const row of ROWS) {
    it(`${row.state}: ${row.shows.join(", ")}`, () => {
      const lines = narrate(row.input);
      const kinds = lines.map((l) => l.key.replace("teach.narr.", ""));
      for (const k of row.shows) expect(kinds).toContain(k);
      for (const k of row.hides) expect(kinds).not.toContain(k);
      // Both languages have every sentence, filled in completely, and they differ.
      for (const l of lines) {
        const a = format(en[l.key], l.params);
        const b = format(zh[l.key], l.params);
        expect(a).not.toMatch(/\{\w+\}/);
        expect(b).not.toMatch(/\{\w+\}/);
        expect(b).not.toBe(a);
      }
    });
  }

  it("never calls a step 'a little' or 'each parameter' in a state that is not healthy", () => {
    for (const row of ROWS.filter((r) => r.state !== "healthy")) {
      const text = narrate(row.input)
        .map((l) => format(en[l.key], l.params))
        .join(" ");
      expect(text).not.toMatch(/a little|each parameter/);
    }
  });

  it("the diverged step names the NaN torch produced", () => {
    const text = narrate(ROWS[3]?.input as NarrationInput)
      .map((l) => format(en[l.key], l.params))
      .join(" ");
    expect(text).toContain("NaN");
  });
});

describe("the classes read from torch's numbers", () => {
  it("a step of ten times the value from a small start is far, not an overshoot", () => {
    expect(relativeMove(w0)).toBeGreaterThan(9);
    expect(classifyUpdate(w0)).toBe("far");
    // The next recorded step of the weight: smaller than the value, gradient same sign.
    const w1 = step1.updates.find((u) => u.name === w0.name) as ParamUpdate;
    expect(classifyUpdate(w1, w0)).toBe("healthy");
  });

  it("the worst parameter decides the step's class", () => {
    const step = stepOf([withValues(w0, 2, 1.98, 2), withValues(b0, 1, "Infinity", 1)]);
    expect(classifyStep(step)?.kind).toBe("diverged");
    expect(classifyStep(step)?.update.name).toBe(b0.name);
  });

  it("the loss before an iteration comes from the kept chunk, or is unknown", () => {
    const kept = { first: 5, values: [1, 2, "NaN"] as WireFloat[] };
    expect(lossBefore(kept, 7)).toBe(2);
    expect(lossBefore(kept, 8)).toBe("NaN");
    expect(lossBefore(kept, 5)).toBeNull();
    expect(lossBefore(kept, 9)).toBeNull();
  });

  it("losses: rose, fell, first, non-finite", () => {
    expect(classifyLoss(2, 1)).toBe("rose");
    expect(classifyLoss(1, 2)).toBe("fell");
    expect(classifyLoss(1, null)).toBe("first");
    expect(classifyLoss("Infinity", 1)).toBe("nonfinite");
  });
});
