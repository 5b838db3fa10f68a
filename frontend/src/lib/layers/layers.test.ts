import { describe, expect, it } from "vitest";
import { RATIO_LOG_LENGTH, appendRatios, histogramBars, plottable } from "./layers";
import type { LayerStats } from "../wire/protocol";

function layer(name: string, ratio: number | null): LayerStats {
  return {
    name,
    numel: 4,
    value_norm: 1,
    grad_norm: 1,
    update_norm: ratio ?? 0,
    ratio,
    flag: null,
    values: { edges: [0, 1, 2], counts: [3, 1] },
    grads: null,
  };
}

describe("per-layer log", () => {
  it("keeps one ratio per iteration and parameter, bounded", () => {
    let log = appendRatios({}, 0, [layer("w", 1e-3), layer("b", null)]);
    log = appendRatios(log, 0, [layer("w", 2e-3)]); // the same step captured again
    log = appendRatios(log, 1, [layer("w", 3e-3)]);
    expect(log.w?.map((p) => [p.iteration, p.ratio])).toEqual([
      [0, 2e-3],
      [1, 3e-3],
    ]);
    expect(log.b).toBeUndefined();
    for (let i = 2; i < RATIO_LOG_LENGTH + 10; i++) log = appendRatios(log, i, [layer("w", 1)]);
    expect(log.w).toHaveLength(RATIO_LOG_LENGTH);
  });

  it("lays histogram bins over [0, 1] and drops ratios a log axis cannot show", () => {
    const bars = histogramBars({ edges: [-1, 0, 3], counts: [2, 5] });
    expect(bars).toEqual([
      { x0: 0, x1: 0.25, count: 2 },
      { x0: 0.25, x1: 1, count: 5 },
    ]);
    expect(histogramBars(null)).toEqual([]);
    const points = [0, 1e-3, Number.NaN].map((ratio, iteration) => ({ iteration, ratio }));
    expect(plottable(points).map((p) => p.ratio)).toEqual([1e-3]);
  });
});
