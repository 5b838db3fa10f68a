import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { AfterFrameClock, FrameLatch } from "./framelatch";

function latch() {
  const clock = fakeClock();
  const applied: number[] = [];
  return { clock, applied, latch: new FrameLatch<number>((v) => applied.push(v), clock) };
}

describe("FrameLatch", () => {
  it("applies a later value at the next frame, not before", () => {
    const { clock, applied, latch: l } = latch();
    l.later(1);
    expect(applied).toEqual([]);
    expect(l.pending).toBe(true);
    clock.advance(16);
    expect(applied).toEqual([1]);
    expect(l.pending).toBe(false);
  });

  it("keeps only the latest of several values handed in within one frame", () => {
    const { clock, applied, latch: l } = latch();
    l.later(1);
    l.later(2);
    l.later(3);
    expect(clock.pending()).toBe(1);
    clock.advance(16);
    expect(applied).toEqual([3]);
    l.later(4);
    clock.advance(16);
    expect(applied).toEqual([3, 4]);
  });

  it("applies a value now at once and drops the one waiting", () => {
    const { clock, applied, latch: l } = latch();
    l.later(1);
    l.now(2);
    expect(applied).toEqual([2]);
    expect(clock.pending()).toBe(0);
    clock.advance(32);
    expect(applied).toEqual([2]);
  });

  it("cancel drops the waiting value", () => {
    const { clock, applied, latch: l } = latch();
    l.later(1);
    l.cancel();
    clock.advance(32);
    expect(applied).toEqual([]);
    expect(l.pending).toBe(false);
  });

  it("may be handed a new value from inside apply (the next frame gets it)", () => {
    const clock = fakeClock();
    const applied: number[] = [];
    const l: FrameLatch<number> = new FrameLatch<number>((v) => {
      applied.push(v);
      if (v < 3) l.later(v + 1);
    }, clock);
    l.later(1);
    clock.advance(16);
    expect(applied).toEqual([1]);
    clock.advance(16);
    clock.advance(16);
    expect(applied).toEqual([1, 2, 3]);
  });
});

describe("AfterFrameClock", () => {
  /** The fake frame clock, and posted tasks that run when `drain` is called. */
  function setup() {
    const frames = fakeClock();
    const tasks: (() => void)[] = [];
    const clock = new AfterFrameClock(frames, (run) => tasks.push(run));
    const drain = () => tasks.splice(0).forEach((run) => run());
    return { frames, tasks, clock, drain };
  }

  it("runs a callback in a task posted from the next animation frame", () => {
    const { frames, tasks, clock, drain } = setup();
    const ran: string[] = [];
    clock.frame(() => ran.push("a"));
    expect(tasks).toHaveLength(0);
    frames.advance(16);
    expect(ran).toEqual([]);
    expect(tasks).toHaveLength(1);
    drain();
    expect(ran).toEqual(["a"]);
  });

  it("cancels before the frame and between the frame and the task", () => {
    const { frames, clock, drain } = setup();
    const ran: string[] = [];
    const early = clock.frame(() => ran.push("early"));
    const late = clock.frame(() => ran.push("late"));
    clock.frame(() => ran.push("kept"));
    clock.cancelFrame(early);
    expect(frames.pending()).toBe(2);
    frames.advance(16);
    clock.cancelFrame(late);
    drain();
    expect(ran).toEqual(["kept"]);
  });

  it("paces a FrameLatch: one value per frame, applied after the frame", () => {
    const { frames, clock, drain } = setup();
    const applied: number[] = [];
    const l = new FrameLatch<number>((v) => applied.push(v), clock);
    l.later(1);
    l.later(2);
    frames.advance(16);
    l.later(3); // handed in after the frame, before the task: the task applies it
    drain();
    expect(applied).toEqual([3]);
    expect(l.pending).toBe(false);
  });
});
