// Moving through the run: speed stops, the buttons' commands, play as the server says, animation.
import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import { feed, makeStore } from "../__fixtures__/store";
import type { ServerEvent, SessionEvent } from "../wire/protocol";
import { DEFAULT_SPEED, phasesPerSecond, SPEED_STOPS } from "./speeds";

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

describe("LoopStore animation", () => {
  it("animates each phase and a new frame completes the running one", () => {
    const { store, clock } = makeStore({ reducedMotion: () => false });
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
    const { store } = makeStore();
    feed(store, phaseEvents(loadFixture("linear")).slice(0, 1));
    expect(store.progress).toBe(1);
    expect(store.animating).toBe(false);
  });
});
