import { describe, expect, it } from "vitest";
import { makeStore } from "../__fixtures__/store";
import { loadFixture } from "../__fixtures__/load";
import type { ServerEvent, SessionEvent } from "../wire/protocol";
import type { LoopStore } from "./state.svelte";
import {
  FrameBuffer,
  movedIndex,
  pausedPosition,
  phasePosition,
  rewindPlan,
  stripPixels,
} from "./timeline";

describe("the timeline strip", () => {
  // Frame i drawn as the colour (i mod 256, ⌊i / 256⌋, 7): the pixels say which frame each
  // column shows.
  const colourOf = (i: number) => [i % 256, Math.floor(i / 256), 7] as const;
  const frameAt = (pixels: Uint8ClampedArray) =>
    Array.from({ length: pixels.length / 4 }, (_, x) => pixels[x * 4]! + 256 * pixels[x * 4 + 1]!);

  it("spreads few frames over the columns, each as wide as the others", () => {
    const pixels = stripPixels(3, 6, colourOf);
    expect(frameAt(pixels)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(pixels.slice(8, 12))).toEqual([1, 0, 7, 255]);
  });

  it("shows one frame per column when frames outnumber columns, the last at the end", () => {
    expect(frameAt(stripPixels(10, 4, colourOf))).toEqual([0, 2, 5, 7]);
    expect(frameAt(stripPixels(2000, 900, colourOf)).at(-1)).toBe(Math.floor((899 * 2000) / 900));
  });

  it("is transparent with no frames", () => {
    expect(Array.from(stripPixels(0, 3, colourOf))).toEqual(new Array(12).fill(0));
  });
});

describe("positions on the timeline", () => {
  it("count the phases completed", () => {
    expect(pausedPosition(0, "forward")).toBe(0);
    expect(phasePosition(0, "forward")).toBe(1);
    expect(phasePosition(0, "step")).toBe(5);
    expect(pausedPosition(1, "forward")).toBe(5);
    expect(phasePosition(3, "backward")).toBe(19);
  });

  it("plan a rewind: after step it is the next iteration's start, mid-iteration a re-run", () => {
    expect(rewindPlan(phasePosition(2, "step"))).toEqual({ iteration: 3, rerun: false });
    expect(rewindPlan(phasePosition(2, "backward"))).toEqual({ iteration: 2, rerun: true });
    expect(rewindPlan(pausedPosition(2, "forward"))).toEqual({ iteration: 2, rerun: false });
    expect(rewindPlan(0)).toEqual({ iteration: 0, rerun: false });
  });
});

describe("FrameBuffer", () => {
  const frame = (position: number, kind: "session" | "phase" = "phase", runId = "a") => ({
    runId,
    kind,
    position,
    state: position,
  });

  it("is bounded: the oldest frames go, seq keeps counting", () => {
    const buffer = new FrameBuffer<number>(3);
    for (let p = 0; p < 5; p++) buffer.push(frame(p));
    expect(buffer.length).toBe(3);
    expect(buffer.all().map((f) => f.seq)).toEqual([2, 3, 4]);
    expect(buffer.indexOfSeq(3)).toBe(1);
    expect(buffer.indexOfSeq(0)).toBe(-1);
    expect(buffer.last()?.state).toBe(4);
  });

  it("drops the abandoned branch on a session frame at an earlier position", () => {
    const buffer = new FrameBuffer<number>();
    buffer.push(frame(0, "session"));
    for (let p = 1; p <= 12; p++) buffer.push(frame(p));
    buffer.push(frame(5, "session")); // rewind to iteration 1
    expect(buffer.all().map((f) => f.position)).toEqual([0, 1, 2, 3, 4, 5, 5]);
    buffer.push(frame(6));
    expect(buffer.last()?.position).toBe(6);
  });

  it("keeps everything on a session frame at the same position (new settings)", () => {
    const buffer = new FrameBuffer<number>();
    for (let p = 0; p <= 7; p++) buffer.push(frame(p));
    buffer.push(frame(7, "session"));
    expect(buffer.length).toBe(9);
  });

  it("starts over for another run", () => {
    const buffer = new FrameBuffer<number>();
    for (let p = 0; p <= 7; p++) buffer.push(frame(p));
    buffer.push(frame(0, "session", "b"));
    expect(buffer.length).toBe(1);
  });

  it("moves between frames, the last one being live", () => {
    expect(movedIndex(null, -1, 10)).toBe(8);
    expect(movedIndex(8, 1, 10)).toBeNull();
    expect(movedIndex(0, -5, 10)).toBe(0);
    expect(movedIndex(null, 1, 10)).toBeNull();
    expect(movedIndex(null, -1, 0)).toBeNull();
  });
});

describe("LoopStore time travel over the recorded linear run", () => {
  const linear = loadFixture("linear");
  const weight = (store: LoopStore) => store.params["linear.weight"]?.values;

  it("records one frame per session and phase event", () => {
    const { store } = makeStore();
    for (const f of linear.frames) store.handle(f);
    // 1 session + 10 phases (the graph event makes no frame of its own)
    expect(store.timeline.length).toBe(11);
    expect(store.shownFrame?.position).toBe(10);
  });

  it("shows a past frame as it was, and goes live again", () => {
    const { store } = makeStore();
    for (const f of linear.frames) store.handle(f);
    const live = weight(store);
    const first = store.timeline.at(0);
    store.viewFrame(first?.seq ?? null);
    expect(store.viewing).toBe(first?.seq);
    expect(store.phase).toBeNull();
    expect(weight(store)).toEqual([0.1446575]);
    expect(store.grads["linear.weight"]).toBeNull();
    store.viewStep(4); // backward of iteration 0
    expect(store.phase).toBe("backward");
    expect(store.grads["linear.weight"]?.values).toEqual([-143.5077]);
    expect(store.view.captures.backward?.order[0]).toBe("MseLossBackward0");
    store.viewFrame(null);
    expect(store.viewing).toBeNull();
    expect(weight(store)).toEqual(live);
    expect(store.iteration).toBe(1);
  });

  it("applies events to the live state while a past frame is shown", () => {
    const { store } = makeStore();
    const frames = linear.frames;
    for (const f of frames.slice(0, 8)) store.handle(f); // up to the step of iteration 0
    store.viewStep(-3);
    const shownPhase = store.phase;
    for (const f of frames.slice(8)) store.handle(f);
    expect(store.phase).toBe(shownPhase);
    store.viewFrame(null);
    expect(store.iteration).toBe(1);
    expect(store.phase).toBe("step");
  });

  it("continues from a frame: rewind to its iteration, then the new lr", () => {
    const { store, sent } = makeStore();
    for (const f of linear.frames) store.handle(f);
    const stepOfFirst = store.timeline.all().find((f) => f.position === 5);
    store.viewFrame(stepOfFirst?.seq ?? null);
    expect(store.continueFromHere(0.02)).toBe(1);
    expect(sent).toEqual([
      { type: "rewind", iteration: 1 },
      { type: "set", lr: 0.02 },
    ]);
    expect(store.viewing).toBeNull();
    // The server's answer: a session at the start of iteration 1 drops the later frames.
    const session = linear.frames[0] as SessionEvent;
    const rewound: ServerEvent = {
      ...session,
      iteration: 1,
      epoch: 1,
      params: stepOfFirst?.state.event?.params ?? session.params,
    };
    store.handle(rewound);
    expect(store.timeline.all().map((f) => f.position)).toEqual([0, 1, 2, 3, 4, 5, 5]);
    expect(store.losses).toMatchObject({ first: 0 });
    expect(store.losses.values).toHaveLength(1);
  });

  it("re-runs the iteration when continuing from the middle of it", () => {
    const { store, sent } = makeStore();
    for (const f of linear.frames) store.handle(f);
    store.viewStep(-2); // zero_grad of iteration 1
    expect(store.phase).toBe("zero_grad");
    store.continueFromHere();
    expect(sent).toEqual([{ type: "rewind", iteration: 1 }]);
  });

  it("goes live when another command is sent", () => {
    const { store, sent } = makeStore();
    for (const f of linear.frames) store.handle(f);
    store.viewStep(-6);
    expect(store.viewing).not.toBeNull();
    store.stepPhase();
    expect(store.viewing).toBeNull();
    expect(sent.at(-1)).toEqual({ type: "step", unit: "phase", count: 1 });
  });
});
