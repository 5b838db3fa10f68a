import { describe, expect, it } from "vitest";
import { dictionaries } from "../../i18n/index.svelte";
import {
  BRISK_PHASES_PER_SECOND,
  closestSpeedIndex,
  phasesPerSecond,
  playsBrisk,
  SPEED_STOPS,
  speedsFor,
} from "./speeds";
import type { Speed } from "./speeds";

const rates = (stops: Speed[], n: number) => stops.map((s) => phasesPerSecond(s, n));

describe("speed stops", () => {
  it.each([1, 2, 3, 4, 10, 100, 2000])(
    "are strictly faster to the right with %i batch(es) per epoch",
    (n) => {
      const r = rates(speedsFor(n), n);
      for (let i = 1; i < r.length; i++) expect(r[i]).toBeGreaterThan(r[i - 1] as number);
      expect(r[0]).toBe(0.5);
    },
  );

  it("drop an epoch stop that is not faster than the iteration stop (full batch)", () => {
    // Full batch: 10 epochs/s is 10 iterations/s, slower than 30 iterations/s.
    const full = speedsFor(1);
    expect(full).not.toContainEqual({ unit: "epoch", rate: 10 });
    expect(full.at(-2)).toEqual({ unit: "iteration", rate: 30 });
    expect(full.at(-1)).toEqual({ unit: "epoch", rate: 60 });
    // Ten batches: 10 epochs/s is 100 iterations/s, so every stop stays.
    expect(speedsFor(10)).toEqual(SPEED_STOPS);
  });

  it("count what each unit means in phases", () => {
    expect(phasesPerSecond({ unit: "phase", rate: 2 }, 10)).toBe(2);
    expect(phasesPerSecond({ unit: "iteration", rate: 30 }, 10)).toBe(150);
    expect(phasesPerSecond({ unit: "epoch", rate: 10 }, 1)).toBe(50);
    expect(phasesPerSecond({ unit: "epoch", rate: 10 }, 10)).toBe(500);
  });

  it("keep the chosen speed when the batch size changes, else the nearest slower one", () => {
    const epoch10 = { unit: "epoch", rate: 10 } as const;
    // From 10 batches (500 phases/s) to full batch, where 10 epochs/s is no stop: the
    // fastest stop not above 500 phases/s is 60 epochs/s (300).
    const full = speedsFor(1);
    expect(full[closestSpeedIndex(full, epoch10, 10, 1)]).toEqual({ unit: "epoch", rate: 60 });
    // From 2 batches (100 phases/s): 60 phases/s, not 30 iterations/s (150).
    expect(full[closestSpeedIndex(full, epoch10, 2, 1)]).toEqual({ unit: "phase", rate: 60 });
    const many = speedsFor(10);
    expect(many[closestSpeedIndex(many, { unit: "phase", rate: 5 }, 1, 10)]).toEqual({
      unit: "phase",
      rate: 5,
    });
  });

  it("have a singular label for a rate of one in English", () => {
    expect(dictionaries.en["speed.phase.one"].replace("{rate}", "1")).toBe("1 phase/s");
    expect(dictionaries.en["speed.phase"].replace("{rate}", "2")).toBe("2 phases/s");
  });

  it("play brisk (no fades) only while playing at least as fast as a phase per fade", () => {
    for (const speed of SPEED_STOPS) {
      for (const n of [1, 10]) {
        const fast = phasesPerSecond(speed, n) >= BRISK_PHASES_PER_SECOND;
        expect(playsBrisk(true, speed, n)).toBe(fast);
        // Paused or stepping, every change keeps its fade, whatever the speed.
        expect(playsBrisk(false, speed, n)).toBe(false);
      }
    }
    // The stops either side of the line: 5 phases/s keeps the fades, 10 and 30 do not.
    expect(playsBrisk(true, { unit: "phase", rate: 5 }, 1)).toBe(false);
    expect(playsBrisk(true, { unit: "phase", rate: 10 }, 1)).toBe(true);
    expect(playsBrisk(true, { unit: "phase", rate: 30 }, 1)).toBe(true);
    // An iteration a second is 5 phases a second (no longer brisk) however many batches.
    expect(playsBrisk(true, { unit: "iteration", rate: 1 }, 100)).toBe(false);
  });
});
