// The store's side of the learner's controls: paced play, run to, set vs restart, a link's
// replay, the speed kept across a reload, and a close for good.
import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { loadFixture } from "../__fixtures__/load";
import type { Command, PhaseEvent, SessionEvent } from "../wire/protocol";
import { LoopStore } from "./state.svelte";
import type { SavedSpeed } from "./state.svelte";

const linear = loadFixture("linear");
const SESSION = linear.frames.find((f) => f.type === "session") as SessionEvent;
const PHASE = linear.frames.find((f) => f.type === "phase") as PhaseEvent;

function makeStore(saved: SavedSpeed | null = null) {
  const sent: Command[] = [];
  const painted: (() => void)[] = [];
  const stored: SavedSpeed[] = [];
  const store = new LoopStore({
    send: (c) => {
      sent.push(c);
      return true;
    },
    clock: fakeClock(),
    reducedMotion: () => true,
    afterPaint: (fn) => painted.push(fn),
    speedStore: { load: () => saved, save: (s) => stored.push(s) },
  });
  store.setConnection("open", null);
  return { store, sent, painted, stored };
}

describe("paced play", () => {
  it("says `shown` once a frame received while playing has been drawn, not before", () => {
    const { store, sent, painted } = makeStore();
    store.handle(SESSION);
    store.handle(PHASE); // not playing: nothing to confirm
    expect(painted).toHaveLength(0);
    store.play();
    expect(sent.at(-1)).toMatchObject({ type: "play", paced: true });
    store.handle(PHASE);
    expect(sent.at(-1)?.type).toBe("play");
    painted.shift()?.();
    expect(sent.at(-1)).toEqual({ type: "shown" });
  });
});

describe("run to", () => {
  it("sends one step to the target and shows progress until the frame comes", () => {
    const { store, sent } = makeStore();
    store.handle(SESSION);
    expect(store.runTo("epoch", 1000)).toBe(true);
    expect(sent.at(-1)).toEqual({ type: "step", unit: "epoch", count: 1000 });
    expect(store.runProgress).toEqual({ first: 0, done: 0, total: 1000 });
    store.handle({ type: "progress", first: 0, done: 400, total: 1000 });
    expect(store.runProgress?.done).toBe(400);
    store.handle(PHASE);
    expect(store.runProgress).toBeNull();
    // Already past iteration 0: nothing to run.
    expect(store.runTo("iteration", 0)).toBe(false);
  });
});

describe("set or restart", () => {
  it("notes where a set took effect, and a restart as a new run", () => {
    const { store, sent } = makeStore();
    store.handle(SESSION);
    store.applySettings({ lr: 0.1 });
    expect(sent.at(-1)).toEqual({ type: "set", lr: 0.1 });
    store.handle({ ...SESSION, iteration: 12, next_phase: "loss" });
    expect(store.configNote).toEqual({
      kind: "set",
      changes: { lr: 0.1 },
      iteration: 12,
      phase: "loss",
    });
    store.restartWith({ lr: 0.2 }, { lr: 0.2 });
    store.handle({ ...SESSION, run_id: "other" });
    expect(store.configNote?.kind).toBe("restart");
    // A run started by other means clears it.
    store.startRun("linear", {});
    store.handle({ ...SESSION, run_id: "third" });
    expect(store.configNote).toBeNull();
  });

  it("notes nothing for a refused set", () => {
    const { store } = makeStore();
    store.handle(SESSION);
    store.applySettings({ lr: 0.1 });
    store.handle({ type: "error", code: "out_of_range", message: "lr: …", field: "lr" });
    store.handle(SESSION);
    expect(store.configNote).toBeNull();
  });
});

describe("a shared link", () => {
  it("replays the steps and sets after its run starts, once", () => {
    const { store, sent } = makeStore();
    store.connected({ position: 63, sets: [{ position: 10, changes: { lr: 0.1 } }] });
    expect(sent).toEqual([{ type: "start", scenario: "linear", config: {} }]);
    store.handle(SESSION);
    expect(sent.slice(1)).toEqual([
      { type: "step", unit: "iteration", count: 2 },
      { type: "set", lr: 0.1 },
      { type: "step", unit: "iteration", count: 10 },
      { type: "step", unit: "phase", count: 3 },
    ]);
    store.handle(SESSION); // the set's answer: nothing more is sent
    expect(sent).toHaveLength(5);
  });
});

describe("the speed across a reload", () => {
  it("starts at the saved speed and saves each change", () => {
    const { store, stored } = makeStore({ unit: "iteration", rate: 30, nBatches: 1 });
    store.handle(SESSION);
    expect(store.speed).toEqual({ unit: "iteration", rate: 30 });
    store.setSpeed(0);
    expect(stored.at(-1)).toMatchObject({ unit: "phase", rate: 0.5 });
  });
});

describe("a close for good", () => {
  it("keeps the reason until the connection opens again", () => {
    const { store } = makeStore();
    let asked = 0;
    store.connectReconnect(() => asked++);
    store.setConnection("closed", null);
    store.closedForGood({ code: 4013, reason: "closed to make room: idle" });
    expect(store.closeInfo?.code).toBe(4013);
    store.reconnect();
    expect(asked).toBe(1);
    store.setConnection("open", null);
    expect(store.closeInfo).toBeNull();
  });
});
