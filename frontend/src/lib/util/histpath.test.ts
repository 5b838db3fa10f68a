import { describe, expect, it } from "vitest";
import { histogramPath } from "./histpath";

/** The rectangles a path of `M x,y h w v h h -w Z` pieces draws, read back from its text. */
function boxes(d: string): { x: number; y: number; w: number; h: number }[] {
  const out: { x: number; y: number; w: number; h: number }[] = [];
  const piece = /M(-?[\d.e+-]+),(-?[\d.e+-]+)h(-?[\d.e+-]+)v(-?[\d.e+-]+)h(-?[\d.e+-]+)Z/g;
  for (const m of d.matchAll(piece)) {
    const [x, y, w, h, back] = m.slice(1).map(Number) as [number, number, number, number, number];
    expect(back).toBe(-w); // closed: the bar's bottom edge goes back to where it began
    out.push({ x, y, w, h });
  }
  return out;
}

describe("histogramPath", () => {
  const bars = [
    { x0: -1, x1: 0, count: 2 },
    { x0: 0, x1: 1, count: 8 },
    { x0: 1, x1: 3, count: 0 },
    { x0: 3, x1: 4, count: 4 },
  ];

  it("draws one bar per bin, across the width, standing on the baseline", () => {
    const drawn = boxes(histogramPath(bars, 150, 58));
    expect(drawn).toHaveLength(bars.length);
    expect(drawn[0]?.x).toBe(0);
    // The last bin ends at the right edge, less the 1 px gap after every bar.
    const end = drawn.at(-1)!;
    expect(end.x + end.w + 1).toBeCloseTo(150, 9);
    for (const b of drawn) expect(b.y + b.h).toBeCloseTo(58, 9);
  });

  it("makes heights proportional to counts and widths to the bins' spans", () => {
    const drawn = boxes(histogramPath(bars, 150, 58));
    const [a, b, c, d] = drawn as [
      (typeof drawn)[0],
      (typeof drawn)[0],
      (typeof drawn)[0],
      (typeof drawn)[0],
    ];
    expect(b.h).toBeCloseTo(58, 9); // the fullest bin is the plot's height
    expect(a.h / b.h).toBeCloseTo(2 / 8, 9);
    expect(d.h / b.h).toBeCloseTo(4 / 8, 9);
    expect(c.h).toBe(0);
    // Bin 3 spans two units, the others one: twice as wide before the gap.
    expect(c.w + 1).toBeCloseTo(2 * (a.w + 1), 9);
    // Side by side, in order, never overlapping.
    for (let i = 1; i < drawn.length; i++) {
      expect(drawn[i]!.x).toBeGreaterThanOrEqual(drawn[i - 1]!.x + drawn[i - 1]!.w);
    }
  });

  it("keeps a bar at least 1 px wide and draws counts under 1 against 1", () => {
    const narrow = boxes(
      histogramPath(
        [
          { x0: 0, x1: 1e-9, count: 0.5 },
          { x0: 1e-9, x1: 1, count: 0 },
        ],
        10,
        20,
      ),
    );
    expect(narrow[0]?.w).toBe(1);
    expect(narrow[0]?.h).toBeCloseTo(10, 9);
  });

  it("draws nothing without bars", () => {
    expect(histogramPath([], 150, 58)).toBe("");
  });
});
