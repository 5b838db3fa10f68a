// Detail asked for on request leaves the frame viewed alone and lands where it belongs.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { feed, makeStore } from "../__fixtures__/store";

describe("LoopStore full tensors on request", () => {
  it("asks without leaving the frame viewed, and keeps the answer out of the timeline", () => {
    const { store, sent } = makeStore();
    const linear = loadFixture("linear");
    feed(store, linear.frames.slice(0, 4));
    const frames = store.timeline.length;
    store.viewStep(-1);
    const viewing = store.viewing;
    expect(viewing).not.toBeNull();
    store.requestTensor("linear.weight", "state", "exp_avg");
    expect(sent.at(-1)).toEqual({
      type: "tensor",
      name: "linear.weight",
      kind: "state",
      key: "exp_avg",
    });
    expect(store.viewing).toBe(viewing);
    store.handle({
      type: "tensor",
      name: "linear.weight",
      kind: "value",
      key: null,
      iteration: 0,
      next_phase: "forward",
      value: { shape: [1, 1], dtype: "float32", values: [0.5] },
    });
    expect(store.fullTensor?.value?.values).toEqual([0.5]);
    expect(store.timeline.length).toBe(frames);
    expect(store.viewing).toBe(viewing);
  });
});
