// Detail asked for on request leaves the frame viewed alone, lands where it belongs, and is
// followed while on its way: asked, answered, refused (where it was asked), or dropped.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { feed, makeStore } from "../__fixtures__/store";
import type { CaptureByPhase, ErrorEvent, ServerEvent } from "../wire/protocol";

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

// The recorded Adam run, with its first backward leaving out one node's gradients and its
// first step sending one update as norms only, as a budgeted frame of a big model does.
const adam = loadFixture("teaching-adam").frames;
const atBackward = adam.findIndex((e) => e.type === "phase" && e.phase === "backward");
const atStep = adam.findIndex((e) => e.type === "phase" && e.phase === "step");

function thinned() {
  const backward = adam[atBackward];
  const step = adam[atStep];
  if (backward?.type !== "phase" || step?.type !== "phase") throw new Error("no such phases");
  const cut = backward.capture as CaptureByPhase["backward"];
  const node = cut.order[0] ?? "";
  const { [node]: grads, ...kept } = cut.sent;
  const full = step.capture as CaptureByPhase["step"];
  const [update, ...rest] = full.updates;
  if (!update || !grads) throw new Error("nothing to leave out");
  const events: ServerEvent[] = adam.map((e, i) =>
    i === atBackward
      ? { ...backward, capture: { ...cut, sent: kept, left_out: [node] } }
      : i === atStep
        ? { ...step, capture: { ...full, updates: rest, brief: [update.name] } }
        : e,
  );
  const sentAnswer: ServerEvent = {
    type: "sent",
    node,
    iteration: backward.iteration,
    graph_id: cut.graph_id,
    sent: grads,
  };
  const updateAnswer: ServerEvent = {
    type: "update",
    name: update.name,
    iteration: step.iteration,
    update,
  };
  return { events, node, grads, update, sentAnswer, updateAnswer };
}

const refusal = (field: string, code: ErrorEvent["code"] = "wrong_state"): ErrorEvent => ({
  type: "error",
  code,
  message: `${field}: the run has moved past it`,
  field,
});

describe("LoopStore detail asked for, while it is on its way", () => {
  it("says a node's gradients are being fetched until they come, and asks once", () => {
    const { store, sent } = makeStore();
    const { events, node, grads, sentAnswer } = thinned();
    feed(store, events.slice(0, atBackward + 1));
    expect(store.detailOf("sent", node)).toEqual({ state: "idle" });
    store.requestSent(node);
    store.requestSent(node); // a second press while it is on its way
    expect(sent.filter((c) => c.type === "sent")).toEqual([{ type: "sent", node }]);
    expect(store.detailOf("sent", node)).toEqual({ state: "asking" });
    store.handle(sentAnswer);
    expect(store.detailOf("sent", node)).toEqual({ state: "idle" });
    expect(store.view.captures.backward?.sent[node]).toEqual(grads);
  });

  it("puts a node's gradients answered after the learner scrubbed away into their backward", () => {
    const { store } = makeStore();
    const { events, node, grads, sentAnswer } = thinned();
    feed(store, events.slice(0, atBackward + 1));
    store.requestSent(node);
    store.viewStep(-2);
    const viewing = store.viewing;
    expect(store.view.event?.phase).not.toBe("backward");
    store.handle(sentAnswer);
    expect(store.viewing).toBe(viewing); // the answer does not move the learner
    expect(store.view.captures.backward?.sent[node]).toBeUndefined();
    store.viewFrame(null);
    expect(store.view.captures.backward?.sent[node]).toEqual(grads);
  });

  it("puts an update answered while the learner looked elsewhere into its step's frame", () => {
    const { store } = makeStore();
    const { events, update, updateAnswer } = thinned();
    feed(store, events.slice(0, atStep + 1));
    store.requestUpdate(update.name);
    expect(store.detailOf("update", update.name)).toEqual({ state: "asking" });
    store.viewStep(-1);
    store.handle(updateAnswer);
    expect(store.detailOf("update", update.name)).toEqual({ state: "idle" });
    // The run goes on; scrubbed back to the step, its frame holds the update asked for.
    feed(store, events.slice(atStep + 1, atStep + 2));
    const step = store.timeline.all().findLast((f) => f.state.event?.phase === "step");
    store.viewFrame(step?.seq ?? null);
    expect(store.viewing).not.toBeNull();
    expect(store.view.captures.step?.brief).toEqual([]);
    expect(store.view.captures.step?.updates.map((u) => u.name)).toContain(update.name);
  });

  it("keeps a refusal where it was asked, without a toast, until the run moves on", () => {
    const { store } = makeStore();
    const { events, node } = thinned();
    feed(store, events.slice(0, atBackward + 1));
    store.requestSent(node);
    store.handle(refusal("node"));
    expect(store.detailOf("sent", node)).toEqual({
      state: "refused",
      refusal: { code: "wrong_state", message: "node: the run has moved past it", field: "node" },
    });
    expect(store.toasts).toEqual([]);
    // An error about another command is still a toast.
    store.handle(refusal("lr", "out_of_range"));
    expect(store.toasts.map((t) => t.field)).toEqual(["lr"]);
    store.handle(events[atBackward + 1] as ServerEvent);
    expect(store.detailOf("sent", node)).toEqual({ state: "idle" });
  });

  it("gives a refusal of `name` to the oldest ask it can belong to", () => {
    const { store } = makeStore();
    const { events, update } = thinned();
    feed(store, events.slice(0, atStep + 1));
    store.requestTensor(update.name, "grad");
    store.requestUpdate(update.name);
    store.handle(refusal("name", "not_found"));
    // The tensor's refusal: a toast, as it always was; the update still on its way.
    expect(store.toasts.map((t) => t.code)).toEqual(["not_found"]);
    expect(store.detailOf("update", update.name)).toEqual({ state: "asking" });
    store.handle(refusal("name"));
    expect(store.detailOf("update", update.name).state).toBe("refused");
    expect(store.toasts).toHaveLength(1);
  });

  it("stops waiting when the answer cannot come: a new run, a lost socket, a rate limit", () => {
    const { store } = makeStore();
    const { events, node, update } = thinned();
    feed(store, events.slice(0, atStep + 1));
    store.requestSent(node);
    store.handle(events[0] as ServerEvent); // a session event: reset, rewind, a new run
    expect(store.detailOf("sent", node)).toEqual({ state: "idle" });
    store.requestUpdate(update.name);
    store.setConnection("reconnecting", 500);
    expect(store.detailOf("update", update.name)).toEqual({ state: "idle" });
    store.setConnection("open", null);
    store.requestUpdate(update.name);
    store.handle({ type: "error", code: "rate_limited", message: "slow down", field: null });
    expect(store.detailOf("update", update.name)).toEqual({ state: "idle" });
    expect(store.toasts.map((t) => t.code)).toEqual(["rate_limited"]);
  });

  it("marks nothing as asked when the command could not be sent", () => {
    const { store } = makeStore({ send: () => false });
    store.requestUpdate("linear.weight");
    expect(store.detailOf("update", "linear.weight")).toEqual({ state: "idle" });
    expect(store.toasts.map((t) => t.code)).toEqual(["offline"]);
  });
});
