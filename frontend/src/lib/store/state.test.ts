// The store as the panels see it: the recorded runs' events routed into frames, in order.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { feed, makeStore } from "../__fixtures__/store";
import type { ServerEvent, SessionEvent } from "../wire/protocol";

describe("LoopStore fed with the recorded linear run", () => {
  const linear = loadFixture("linear");

  it("starts from the session: parameters, no grads, next phase forward", () => {
    const { store } = makeStore();
    feed(store, linear.frames.slice(0, 1));
    expect(store.view.session?.scenario).toBe("linear");
    expect(store.phase).toBeNull();
    expect(store.nextPhase).toBe("forward");
    expect(store.params["linear.weight"]?.values).toEqual([0.1446575]);
    expect(store.grads["linear.weight"]).toBeNull();
    expect(store.loss).toBeNull();
  });

  it("walks forward, loss, zero_grad, backward, step in order", () => {
    const { store } = makeStore();
    const seen: (string | null)[] = [];
    for (const f of linear.frames) {
      store.handle(f);
      if (f.type === "phase") seen.push(store.phase);
    }
    expect(seen).toEqual([
      "forward",
      "loss",
      "zero_grad",
      "backward",
      "step",
      "forward",
      "loss",
      "zero_grad",
      "backward",
      "step",
    ]);
    expect(store.iteration).toBe(1);
    expect(store.frames).toBe(10);
  });

  it("has the graph from the loss phase on, and the numbers of the first iteration", () => {
    const { store } = makeStore();
    const frames = linear.frames;
    feed(store, frames.slice(0, 2));
    expect(store.view.graph).toBeNull();
    feed(store, frames.slice(2, 4)); // graph, loss
    expect(store.view.graph?.root).toBe("MseLossBackward0");
    expect(store.loss).toBe(146.68608);
    feed(store, frames.slice(4, 6)); // zero_grad, backward
    expect(store.grads["linear.weight"]?.values).toEqual([-143.5077]);
    expect(store.grads["linear.bias"]?.values).toEqual([-21.657269]);
    expect(store.previousGrads["linear.weight"]).toBeNull();
    expect(store.view.captures.backward?.order[0]).toBe("MseLossBackward0");
    feed(store, frames.slice(6, 7)); // step
    expect(Math.fround(store.params["linear.weight"]?.values?.[0] as number)).toBe(
      1.5797345638275146,
    );
    expect(store.view.references.map((r) => r.param)).toEqual(["linear.weight", "linear.bias"]);
    expect(store.view.references.every((r) => r.same_object)).toBe(true);
    expect(store.losses).toEqual({ first: 0, values: [146.68608] });
  });

  it("keeps each phase's capture for the iteration and clears them at the next forward", () => {
    const { store } = makeStore();
    feed(store, linear.frames.slice(0, 7));
    expect(Object.keys(store.view.captures).sort()).toEqual([
      "backward",
      "forward",
      "loss",
      "step",
      "zero_grad",
    ]);
    feed(store, linear.frames.slice(7, 8));
    expect(Object.keys(store.view.captures)).toEqual(["forward"]);
    // The references of the last step stay for the objects panel.
    expect(store.view.references).toHaveLength(2);
  });

  it("keeps the graph across resets and new settings of the same model, not another model", () => {
    const { store } = makeStore();
    feed(store, linear.frames);
    const session = linear.frames[0] as ServerEvent;
    store.handle(session);
    expect(store.view.graph).not.toBeNull();
    expect(store.view.event).toBeNull();
    expect(store.losses.values).toEqual([]);
    const faster = {
      ...(session as SessionEvent),
      config: { ...(session as SessionEvent).config, lr: 0.5 },
    };
    store.handle(faster);
    expect(store.view.graph).not.toBeNull();
    const mlpSession = loadFixture("mlp").frames[0] as ServerEvent;
    store.handle(mlpSession);
    expect(store.view.graph).toBeNull();
    expect(store.scenario).toBe("mlp");
  });
});
