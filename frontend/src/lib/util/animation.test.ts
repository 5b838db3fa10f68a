import { describe, expect, it } from "vitest";
import { Animator, phaseDuration, staggered } from "./animation";
import { fakeClock } from "../__fixtures__/clock";

describe("Animator", () => {
  it("runs t from 0 to 1 and resolves done", async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const a = new Animator((t) => seen.push(t), clock);
    const end = a.run(100);
    expect(a.animating).toBe(true);
    clock.advance(50);
    expect(seen.at(-1)).toBeGreaterThan(0.3);
    expect(seen.at(-1)).toBeLessThan(0.7);
    clock.advance(60);
    await expect(end).resolves.toBe("done");
    expect(seen.at(-1)).toBe(1);
    expect(a.animating).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it("finishes the running animation when a new one starts: no backlog", async () => {
    const clock = fakeClock();
    const a = new Animator(() => {}, clock);
    const first = a.run(1000);
    clock.advance(10);
    const second = a.run(1000);
    await expect(first).resolves.toBe("finished");
    expect(a.animating).toBe(true);
    expect(clock.pending()).toBe(1);
    clock.advance(1000);
    await expect(second).resolves.toBe("done");
  });

  it("can be cancelled where it stands", async () => {
    const clock = fakeClock();
    let last = -1;
    const a = new Animator((t) => (last = t), clock);
    const run = a.run(100);
    clock.advance(30);
    a.cancel();
    await expect(run).resolves.toBe("cancelled");
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(1);
    expect(a.animating).toBe(false);
  });

  it("draws the end state at once for zero duration", async () => {
    const seen: number[] = [];
    const a = new Animator((t) => seen.push(t), fakeClock());
    await expect(a.run(0)).resolves.toBe("done");
    expect(seen).toEqual([1]);
  });
});

describe("phaseDuration", () => {
  it("is zero when the user prefers reduced motion", () => {
    expect(phaseDuration({ phase: "backward", rate: null, reducedMotion: true })).toBe(0);
  });

  it("fits inside the gap between frames while playing", () => {
    const slow = phaseDuration({ phase: "backward", rate: null, reducedMotion: false });
    const at5 = phaseDuration({ phase: "backward", rate: 5, reducedMotion: false });
    const at30 = phaseDuration({ phase: "backward", rate: 30, reducedMotion: false });
    expect(slow).toBeGreaterThan(at5);
    expect(at5).toBeLessThanOrEqual(160);
    expect(at30).toBeLessThanOrEqual(0.8 * (1000 / 30));
    expect(phaseDuration({ phase: "step", rate: 60, reducedMotion: false })).toBe(0);
  });
});

describe("staggered", () => {
  it("lights items one after another", () => {
    expect(staggered(0, 0, 4)).toBe(0);
    expect(staggered(0.125, 0, 4)).toBe(0.5);
    expect(staggered(0.25, 0, 4)).toBe(1);
    expect(staggered(0.25, 1, 4)).toBe(0);
    expect(staggered(1, 3, 4)).toBe(1);
    expect(staggered(0.5, 0, 0)).toBe(1);
    for (const n of [3, 5, 7, 15]) expect(staggered(1, n - 1, n)).toBe(1);
  });
});
