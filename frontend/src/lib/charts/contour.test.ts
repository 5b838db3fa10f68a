import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import {
  MAX_ZOOM_OUT,
  viewExtent,
  zigzagsOutward,
  contourBands,
  decodeLandscape,
  dedupePath,
  gridExtent,
  logThresholds,
  pathThrough,
  pointOf,
  polygonsPath,
  samePath,
  stepArrows,
  valleyShape,
} from "./contour";
import { fakeClock } from "../__fixtures__/clock";
import { LoopStore } from "../store/state.svelte";
import type { SessionEvent } from "../wire/protocol";
import { decodeValues } from "../util/tensor";

const session = loadFixture("linear").frames[0] as SessionEvent;

/** A bowl L = (w − 1)² + (b − 2)² sampled on w, b ∈ [−1, 3] × [0, 4] at 0.5 steps. */
function bowl() {
  const w = Array.from({ length: 9 }, (_, i) => -1 + 0.5 * i);
  const b = Array.from({ length: 9 }, (_, i) => 0.5 * i);
  const loss = b.flatMap((bv) => w.map((wv) => (wv - 1) ** 2 + (bv - 2) ** 2));
  return { w, b, loss, optimum: [1, 2] as [number, number] };
}

describe("loss landscape", () => {
  it("decodes the session's 64×64 grid, rows b and columns w", () => {
    const grid = decodeLandscape(session.landscape);
    expect(grid?.w).toHaveLength(64);
    expect(grid?.b).toHaveLength(64);
    expect(grid?.loss).toHaveLength(64 * 64);
    expect(grid?.optimum[0]).toBeCloseTo(1.9954, 3);
    expect(decodeLandscape(null)).toBeNull();
  });

  it("spaces levels evenly in log(loss)", () => {
    const t = logThresholds([0.01, 1, 100, Number.NaN], 4);
    expect(t).toHaveLength(4);
    const ratios = t.slice(1).map((v, i) => v / (t[i] as number));
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0] as number, 9);
    expect(t[0]).toBeGreaterThan(0.01);
    expect(t.at(-1)).toBeLessThan(100);
    expect(logThresholds([0, 0], 5)).toEqual([]);
  });

  it("puts a contour of a bowl where the loss equals its level, in (w, b)", () => {
    const [band] = contourBands(bowl(), [1]);
    // L ≥ 1 is everything outside the circle of radius 1 around (1, 2): its hole.
    const rings = band?.polygons.flat() ?? [];
    const hole = rings.find((r) => r.every(([w, b]) => Math.hypot(w - 1, b - 2) < 1.2));
    expect(hole).toBeDefined();
    for (const [w, b] of hole ?? []) {
      // Linear interpolation between samples 0.5 apart: within a few hundredths of the circle.
      expect(Math.abs(Math.hypot(w - 1, b - 2) - 1)).toBeLessThan(0.08);
    }
  });

  it("covers half a cell beyond the outer samples", () => {
    expect(gridExtent(bowl())).toEqual({ w: [-1.25, 3.25], b: [-0.25, 4.25] });
  });

  it("writes polygons as an SVG path through the scales", () => {
    const d = polygonsPath(
      [
        [
          [
            [0, 0],
            [1, 0],
            [1, 1],
          ],
        ],
      ],
      (w) => 10 * w,
      (b) => 100 - 10 * b,
    );
    expect(d).toBe("M0.0,100.0L10.0,100.0L10.0,90.0Z");
  });

  it("keeps the received values of the path and drops repeats", () => {
    const p = (w: number | "NaN", b: number) =>
      pointOf(
        { shape: [1, 1], dtype: "float32", values: [w] },
        { shape: [1], dtype: "float32", values: [b] },
      );
    const path = dedupePath([p(0.1, 0.2), p(0.1, 0.2), null, p(0.3, 0.2), p("NaN", 1)]);
    expect(path.map((q) => q.raw)).toEqual([
      [0.1, 0.2],
      [0.3, 0.2],
      ["NaN", 1],
    ]);
    expect(Number.isNaN(path[2]?.w)).toBe(true);
    expect(pointOf({ shape: [2], dtype: "float32", values: [1, 2] }, null)).toBeNull();
  });

  it("measures the valley: x in [0, 10) makes it ~100× steeper across than along", () => {
    const x = decodeValues(session.data?.x) ?? [];
    const shape = valleyShape(x);
    expect(shape?.meanX).toBeGreaterThan(4);
    expect(shape?.ratio).toBeGreaterThan(50);
    // Centred x: the bowl is round in b (2·1) and w (2·mean x²) independently.
    const centred = valleyShape(x.map((v) => v - (shape?.meanX ?? 0)));
    expect(centred?.flat).toBeCloseTo(2, 6);
  });

  it("follows the frames received: one point per change of the parameters", () => {
    const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
    const frames = loadFixture("linear").frames;
    for (const f of frames) store.handle(f);
    const all = store.timeline.all();
    const path = pathThrough(all, all.length - 1, "linear.weight", "linear.bias");
    const steps = frames.filter((f) => f.type === "phase" && f.phase === "step");
    expect(path.map((p) => p.raw)).toEqual([
      [0.1446575, -0.25897074],
      ...steps.map((f) =>
        f.type === "phase"
          ? [f.params?.["linear.weight"]?.values?.[0], f.params?.["linear.bias"]?.values?.[0]]
          : [],
      ),
    ]);
    // Up to an earlier frame (time travel): the path as it was then.
    expect(pathThrough(all, 4, "linear.weight", "linear.bias")).toHaveLength(1);
    // Phases other than step leave the path where it was; step moves it.
    const step = all.findIndex((f, i) => i > 0 && f.state.event?.phase === "step");
    const at = (i: number) => pathThrough(all, i, "linear.weight", "linear.bias");
    expect(all[step + 1]?.state.event?.phase).toBe("forward");
    expect(samePath(at(step), at(step + 1))).toBe(true);
    expect(samePath(at(step - 1), at(step))).toBe(false);
  });

  it("tells a path that moved from one that did not", () => {
    const p = (w: number | string, b: number | string) => ({
      raw: [w, b] as [number | string, number | string],
      w: Number(w),
      b: Number(b),
    });
    const path = [p(1, 2), p(1.5, 2.5)];
    expect(samePath(path, [p(1, 2), p(1.5, 2.5)])).toBe(true);
    expect(samePath(path, [p(1, 2), p(1.5, 2.25)])).toBe(false);
    expect(samePath(path, [p(1, 2), p(1.5, 2.5), p(2, 3)])).toBe(false);
    expect(samePath([p("NaN", 2)], [p("NaN", 2)])).toBe(true);
    expect(samePath([p("NaN", 2)], [p("Infinity", 2)])).toBe(false);
  });

  it("draws the step torch took and the gradient it used; at backward, −lr·∇L", () => {
    const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
    const frames = loadFixture("linear").frames;
    const input = () => ({
      phase: store.phase,
      step: store.view.captures.step,
      params: store.params,
      grads: store.grads,
      lr: 0.01,
      weight: "linear.weight",
      bias: "linear.bias",
    });
    for (const f of frames.slice(0, 6)) store.handle(f); // up to backward of iteration 0
    const preview = stepArrows(input());
    expect(preview?.grad).toEqual([-143.5077, -21.657269]);
    expect(preview?.to.w).toBeCloseTo(0.1446575 + 1.435077, 5);
    store.handle(frames[6] as (typeof frames)[number]); // step
    const taken = stepArrows(input());
    expect(taken?.from.w).toBeCloseTo(0.1446575, 7);
    expect(taken?.to.w).toBe(store.params["linear.weight"]?.values?.[0]);
    expect(taken?.grad[0]).toBe(-143.5077);
    store.handle(frames[7] as (typeof frames)[number]); // forward: no arrows
    expect(stepArrows(input())).toBeNull();
  });
});

describe("viewExtent", () => {
  const grid = { w: [-1, 3] as [number, number], b: [-2, 2] as [number, number] };
  const inside = (e: typeof grid, p: { w: number; b: number }) =>
    p.w >= e.w[0] && p.w <= e.w[1] && p.b >= e.b[0] && p.b <= e.b[1];

  it("keeps the grid while the path is inside it", () => {
    const path = [
      { w: 0, b: 0 },
      { w: 2.5, b: 1 },
    ];
    expect(viewExtent(grid, path)).toEqual({ extent: grid, shown: 2 });
  });

  it("zooms out to hold a path that zigzags outward", () => {
    // The lr = 0.03 lesson's first steps (torch's numbers, rounded).
    const path = [
      { w: 0.14, b: -0.26 },
      { w: 4.45, b: 0.39 },
      { w: -0.54, b: -0.33 },
      { w: 12.1, b: 1.65 },
      { w: -18.6, b: -2.82 },
    ];
    const { extent, shown } = viewExtent(grid, path);
    expect(shown).toBe(5);
    for (const p of path) expect(inside(extent, p)).toBe(true);
    expect(extent.w[0]).toBeLessThan(-18.6);
    expect(extent.w[1]).toBeGreaterThan(12.1);
  });

  it("stops at a point past MAX_ZOOM_OUT grid spans, or at NaN/∞", () => {
    const near = [
      { w: 0, b: 0 },
      { w: 20, b: 2.9 },
    ];
    const far = { w: -2.2e19, b: -3.4e18 };
    const { extent, shown } = viewExtent(grid, [...near, far, { w: 1, b: 1 }]);
    expect(shown).toBe(2);
    for (const p of near) expect(inside(extent, p)).toBe(true);
    expect(inside(extent, far)).toBe(false);
    expect(viewExtent(grid, [...near, { w: Number.NaN, b: 0 }]).shown).toBe(2);
    expect(viewExtent(grid, [{ w: 4.1 * MAX_ZOOM_OUT, b: 0 }]).shown).toBe(0);
    expect(viewExtent(grid, [{ w: 3.9 * MAX_ZOOM_OUT, b: 0 }]).shown).toBe(1);
  });
});

describe("zigzagsOutward", () => {
  it("is true when the last step crossed the floor and landed further out", () => {
    // lr = 0.03 (the lesson): 0.14 → 4.45 → −0.54 around w* ≈ 2.
    expect(zigzagsOutward([{ w: 0.14 }, { w: 4.45 }, { w: -0.54 }], 2)).toBe(true);
    // Without zero_grad the summed gradient overshoots too: 1.58 → 3.42 lands further out.
    expect(zigzagsOutward([{ w: 0.14 }, { w: 1.58 }, { w: 3.42 }], 2)).toBe(true);
    // A step that crossed the floor but landed closer is settling.
    expect(zigzagsOutward([{ w: 0.14 }, { w: 2.5 }, { w: 1.8 }], 2)).toBe(false);
    expect(zigzagsOutward([{ w: 0.14 }, { w: 1.58 }], 2)).toBe(false);
    expect(zigzagsOutward([{ w: 0.14 }], 2)).toBe(false);
  });
});
