// The run as the page holds it: captures after a multi-phase step, other recordings, losses.
import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import { feed, makeStore } from "../__fixtures__/store";
import type { ServerEvent, SessionEvent } from "../wire/protocol";
import { phaseRan } from "../graph/phaseview";
import { PHASES } from "../wire/protocol";

describe("LoopStore after a multi-phase step (Step iteration, fast play)", () => {
  const linear = loadFixture("linear");
  const session = linear.frames[0] as SessionEvent;
  const phases = phaseEvents(linear);

  it("counts the phases before the one event as run, with only that capture", () => {
    const { store } = makeStore();
    // Step iteration from a fresh run: the server sends the step event alone.
    feed(store, [session, phases[4] as ServerEvent]);
    expect(store.phase).toBe("step");
    expect(Object.keys(store.view.captures)).toEqual(["step"]);
    for (const p of PHASES) expect(phaseRan(p, store.phase, store.nextPhase), p).toBe(true);
    // The loss of this iteration still arrives with the event.
    expect(store.loss).toBe(phases[4]?.loss);
  });

  it("does not show the previous iteration's captures as this one's", () => {
    const { store } = makeStore();
    // Iteration 0 phase by phase, then iteration 1 as one Step iteration.
    feed(store, linear.frames.slice(0, 7));
    expect(Object.keys(store.view.captures)).toHaveLength(5);
    feed(store, [phases[9] as ServerEvent]);
    expect(store.iteration).toBe(1);
    expect(Object.keys(store.view.captures)).toEqual(["step"]);
  });

  it("keeps the captures of the same iteration's earlier phases", () => {
    const { store } = makeStore();
    // forward and loss stepped, then the rest of the iteration in one command.
    feed(store, linear.frames.slice(0, 4));
    feed(store, [phases[4] as ServerEvent]);
    expect(Object.keys(store.view.captures).sort()).toEqual(["forward", "loss", "step"]);
  });
});

describe("LoopStore with the mlp and divergence recordings", () => {
  it("takes the mlp's six parameters and 15-node graph", () => {
    const { store } = makeStore();
    feed(store, loadFixture("mlp").frames);
    expect(Object.keys(store.params)).toHaveLength(6);
    expect(store.view.graph?.nodes).toHaveLength(15);
    expect(store.view.captures.step?.updates).toHaveLength(6);
  });

  it("flags divergence and keeps NaN as the received string", () => {
    const { store } = makeStore();
    const diverge = loadFixture("diverge");
    feed(store, diverge.frames);
    expect(store.diverged).toBe(true);
    expect(store.loss).toBe("NaN");
    expect(store.params["linear.weight"]?.values).toEqual(["NaN"]);
    // Every completed iteration's loss arrived (fast-forward sends one frame for many).
    expect(store.losses.first).toBe(0);
    expect(store.losses.values).toHaveLength(31);
  });
});

describe("LoopStore losses events", () => {
  it("adds a long command's older losses ahead of its phase event, in order", () => {
    const { store } = makeStore();
    const linear = loadFixture("linear");
    feed(store, linear.frames.slice(0, 1));
    store.handle({ type: "losses", first: 0, n_batches: 2, values: [3, "NaN", 1.5] });
    expect(store.losses).toEqual({ first: 0, values: [3, "NaN", 1.5] });
  });
});
