import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import type { Command, ServerEvent, SessionEvent } from "../wire/protocol";
import { phaseRan } from "../graph/phaseview";
import { PHASES } from "../wire/protocol";
import { DEFAULT_SPEED, phasesPerSecond, SPEED_STOPS } from "./speeds";
import { LoopStore, RESUME_RETRY_MS } from "./state.svelte";

function makeStore(reducedMotion = true, later?: (fn: () => void, ms: number) => void) {
  const sent: Command[] = [];
  const clock = fakeClock();
  const store = new LoopStore({
    send: (c) => {
      sent.push(c);
      return true;
    },
    clock,
    reducedMotion: () => reducedMotion,
    later,
  });
  store.setConnection("open", null);
  return { store, sent, clock };
}

function feed(store: LoopStore, frames: ServerEvent[]) {
  for (const f of frames) store.handle(f);
}

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

describe("LoopStore speed stops follow the run's batches", () => {
  const session = loadFixture("linear").frames[0] as SessionEvent;

  it("offers only stops faster than the last, for full batch and for mini-batches", () => {
    const { store } = makeStore();
    store.handle(session);
    const full = store.speeds.map((s) => phasesPerSecond(s, 1));
    expect(full).toEqual([...full].sort((a, b) => a - b));
    expect(new Set(full).size).toBe(full.length);
    store.handle({ ...session, n_batches: 10, batch_size: 10 });
    expect(store.speeds).toHaveLength(SPEED_STOPS.length);
    // The fastest stop (60 epochs/s) is kept when going back to full batch.
    store.setSpeed(store.speeds.length - 1);
    store.handle(session);
    expect(store.speed).toEqual({ unit: "epoch", rate: 60 });
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

describe("LoopStore errors", () => {
  it("shows each server error as a toast naming the field, until dismissed", () => {
    const { store } = makeStore();
    feed(store, loadFixture("errors").frames);
    expect(store.toasts.map((t) => t.field)).toEqual(["config.lr", "lr", "type"]);
    expect(store.toasts[0]?.code).toBe("invalid_config");
    const id = store.toasts[0]?.id as number;
    store.dismiss(id);
    expect(store.toasts).toHaveLength(2);
  });

  it("says so when a command cannot be sent", () => {
    const store = new LoopStore({ send: () => false, reducedMotion: () => true });
    store.stepPhase();
    expect(store.toasts[0]?.code).toBe("offline");
  });
});

describe("LoopStore commands", () => {
  it("sends what the buttons mean", () => {
    const { store, sent } = makeStore();
    store.startRun("linear", {});
    store.stepPhase();
    store.stepIteration();
    store.play();
    expect(store.playAsked).toBe(true);
    store.pause();
    store.reset();
    expect(sent).toEqual([
      { type: "start", scenario: "linear", config: {} },
      { type: "step", unit: "phase", count: 1 },
      { type: "step", unit: "iteration", count: 1 },
      { type: "play", ...SPEED_STOPS[DEFAULT_SPEED], paced: true },
      { type: "pause" },
      { type: "reset" },
    ]);
  });

  it("re-sends play with the new rate when the speed changes while playing", () => {
    const { store, sent } = makeStore();
    store.play();
    const speeds = store.speeds;
    store.setSpeed(speeds.length + 5);
    expect(store.speedIndex).toBe(speeds.length - 1);
    expect(sent.at(-1)).toEqual({ type: "play", ...speeds[speeds.length - 1], paced: true });
  });

  it("stepping while playing pauses first", () => {
    const { store, sent } = makeStore();
    store.play();
    store.stepPhase();
    expect(store.playing).toBe(false);
    expect(sent.slice(-2)).toEqual([{ type: "pause" }, { type: "step", unit: "phase", count: 1 }]);
  });

  it("plays only once a frame answers the play command", () => {
    const { store } = makeStore();
    const [session, ...rest] = loadFixture("linear").frames as [ServerEvent, ...ServerEvent[]];
    store.handle(session);
    store.play();
    expect(store.playing).toBe(false);
    expect(store.playState).toBe("asked");
    const phase = rest.find((f) => f.type === "phase") as ServerEvent;
    store.handle(phase);
    expect(store.playing).toBe(true);
    // The server's play task stopped on an error: the page shows paused.
    store.handle({ type: "error", code: "out_of_range", message: "too far", field: null });
    expect(store.playState).toBe("paused");
  });

  it("shows paused when the server refuses to play", () => {
    const { store } = makeStore();
    store.play();
    store.handle({
      type: "error",
      code: "out_of_range",
      message: "rate: at most 60",
      field: "rate",
    });
    expect(store.playState).toBe("paused");
    expect(store.toasts[0]?.field).toBe("rate");
  });

  it("stops believing it plays on a new session (start, reset and rewind stop play)", () => {
    const { store } = makeStore();
    const [session, phase] = loadFixture("linear").frames.filter((f) => f.type !== "graph");
    store.play();
    store.handle(phase as ServerEvent);
    store.handle(session as ServerEvent);
    expect(store.playState).toBe("paused");
  });

  it("follows the server's play_state events once it sends them", () => {
    const { store } = makeStore();
    const frames = loadFixture("linear").frames;
    store.handle(frames[0] as ServerEvent);
    store.play();
    const started = {
      type: "play_state",
      playing: true,
      unit: "phase",
      rate: 2,
      reason: "started",
    };
    store.handle(started as ServerEvent);
    expect(store.playing).toBe(true);
    // A refused `set` while playing does not stop play: the server says when play stops.
    store.handle({ type: "error", code: "out_of_range", message: "lr", field: "lr" });
    expect(store.playing).toBe(true);
    store.handle({
      ...started,
      playing: false,
      unit: null,
      rate: null,
      reason: "ended",
    } as ServerEvent);
    expect(store.playState).toBe("paused");
    // Asked again, and refused: never shown as playing.
    store.play();
    store.handle(frames.find((f) => f.type === "phase") as ServerEvent);
    expect(store.playState).toBe("asked");
    store.handle({
      ...started,
      playing: false,
      unit: null,
      rate: null,
      reason: "refused",
    } as ServerEvent);
    expect(store.playState).toBe("paused");
  });

  it("stops believing it plays when the connection drops", () => {
    const { store } = makeStore();
    store.play();
    store.handle(loadFixture("linear").frames.find((f) => f.type === "phase") as ServerEvent);
    expect(store.playing).toBe(true);
    store.setConnection("reconnecting", 500);
    expect(store.playing).toBe(false);
    expect(store.retryInMs).toBe(500);
  });
});

describe("LoopStore reconnecting", () => {
  const session = (token: string) =>
    ({ ...(loadFixture("linear").frames[0] as SessionEvent), token }) as ServerEvent;

  it("starts a run on the first connection", () => {
    const { store, sent } = makeStore();
    store.connected();
    expect(sent).toEqual([{ type: "start", scenario: "linear", config: {} }]);
  });

  it("resumes the run by its token after a drop", () => {
    const { store, sent } = makeStore();
    store.handle(session("secret-1"));
    store.connected();
    expect(sent.at(-1)).toEqual({ type: "resume", token: "secret-1" });
    store.handle(session("secret-1"));
    expect(store.toasts).toEqual([]);
  });

  function retryingStore() {
    const waiting: { fn: () => void; ms: number }[] = [];
    return { ...makeStore(true, (fn, ms) => void waiting.push({ fn, ms })), waiting };
  }
  const notFound = { type: "error", code: "not_found", message: "no such run", field: "token" };

  it("starts again, without a toast, when the server no longer has the run", () => {
    const { store, sent, waiting } = retryingStore();
    store.handle(session("gone"));
    store.connected();
    store.handle(notFound as ServerEvent);
    // Asked once more, a moment later, before giving the run up.
    expect(sent.at(-1)).toEqual({ type: "resume", token: "gone" });
    expect(waiting.map((w) => w.ms)).toEqual([RESUME_RETRY_MS]);
    waiting[0]?.fn();
    expect(sent.filter((c) => c.type === "resume")).toHaveLength(2);
    store.handle(notFound as ServerEvent);
    expect(store.toasts).toEqual([]);
    expect(sent.at(-1)).toMatchObject({ type: "start", scenario: "linear" });
    expect(waiting).toHaveLength(1);
  });

  it("takes its run back when it is parked only after the first resume (a reload's race)", () => {
    const { store, sent, waiting } = retryingStore();
    store.handle(session("old-tab"));
    store.connected();
    store.handle(notFound as ServerEvent);
    waiting[0]?.fn();
    store.handle(session("old-tab-2"));
    expect(sent.map((c) => c.type)).toEqual(["resume", "resume"]);
    expect(store.toasts).toEqual([]);
    // A later drop asks again, with one retry of its own.
    store.connected();
    store.handle(notFound as ServerEvent);
    expect(waiting).toHaveLength(2);
  });
});

describe("LoopStore animation", () => {
  it("animates each phase and a new frame completes the running one", () => {
    const { store, clock } = makeStore(false);
    const frames = loadFixture("linear").frames;
    feed(store, frames.slice(0, 2));
    expect(store.animating).toBe(true);
    expect(store.progress).toBe(0);
    clock.advance(200);
    expect(store.progress).toBeGreaterThan(0);
    expect(store.progress).toBeLessThan(1);
    // The graph and loss frames arrive before forward's animation is over.
    feed(store, frames.slice(2, 4));
    expect(store.phase).toBe("loss");
    expect(store.progress).toBe(0);
    clock.advance(5000);
    expect(store.progress).toBe(1);
    expect(store.animating).toBe(false);
  });

  it("draws end states at once with reduced motion", () => {
    const { store } = makeStore(true);
    feed(store, phaseEvents(loadFixture("linear")).slice(0, 1));
    expect(store.progress).toBe(1);
    expect(store.animating).toBe(false);
  });
});

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
