import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import {
  classColor,
  dataPoints,
  fitGeometry,
  logTicks,
  lossDomain,
  lossSeries,
  paddedExtent,
  probabilityColor,
  tickLabel,
  yScale,
} from "./charts";
import type { SessionEvent } from "../wire/protocol";

describe("loss chart data", () => {
  it("separates non-finite losses and cuts at an iteration", () => {
    const losses = { first: 0, values: [4, "Infinity" as const, "NaN" as const, 1] };
    const all = lossSeries(losses);
    expect(all.points).toEqual([
      { x: 0, y: 4 },
      { x: 3, y: 1 },
    ]);
    expect(all.nonFinite.map((p) => p.raw)).toEqual(["Infinity", "NaN"]);
    expect(lossSeries(losses, 1).points).toEqual([{ x: 0, y: 4 }]);
    expect(lossSeries(losses, 1).nonFinite).toEqual([]);
  });

  it("leaves out iterations where no loss was seen", () => {
    const series = lossSeries({ first: 2, values: [4, null, 1] });
    expect(series.points).toEqual([
      { x: 2, y: 4 },
      { x: 4, y: 1 },
    ]);
    expect(series.nonFinite).toEqual([]);
  });

  it("chooses a domain each scale can draw", () => {
    expect(lossDomain([3, 1, 7], "linear")).toEqual([0, 7]);
    expect(lossDomain([0, 0.01, 100], "log")).toEqual([0.01, 100]);
    expect(lossDomain([], "log")).toEqual([0.1, 10]);
    expect(lossDomain([5], "log")).toEqual([0.5, 50]);
    expect(lossDomain([Number.NaN], "linear")).toEqual([0, 1]);
  });

  it("maps with D3 scales: log puts decades evenly, and clamps 0 to the bottom", () => {
    const log = yScale("log", [0.01, 100], [200, 0]);
    expect(log(0.01)).toBeCloseTo(200);
    expect(log(1)).toBeCloseTo(100);
    expect(log(0)).toBeCloseTo(200);
    expect(logTicks(log, 5)).toEqual([0.01, 0.1, 1, 10, 100]);
    const narrow = yScale("log", [0.44, 0.5], [200, 0]);
    expect(logTicks(narrow, 5)).toEqual([0.1, 0.2, 0.5, 1]);
    const lin = yScale("linear", [0, 7], [100, 0]);
    expect(lin(lin.domain()[1] as number)).toBeCloseTo(0);
  });

  it("labels ticks briefly", () => {
    expect(tickLabel(0)).toBe("0");
    expect(tickLabel(0.25)).toBe("0.25");
    expect(tickLabel(146.68608)).toBe("147");
    expect(tickLabel(1e6)).toBe("1e6");
    expect(tickLabel(1e-5)).toBe("1e-5");
  });
});

describe("fit chart data", () => {
  const linear = loadFixture("linear");
  const session = linear.frames[0] as SessionEvent;

  it("draws linear's fit as the model's line through its two grid points", () => {
    const g = fitGeometry(session.fit);
    expect(g?.kind).toBe("line");
    if (g?.kind !== "line") return;
    expect(g.points).toHaveLength(2);
    // ŷ = w·x + b with the session's parameters (float32 on the server).
    const w = session.params["linear.weight"]?.values?.[0] as number;
    const b = session.params["linear.bias"]?.values?.[0] as number;
    for (const p of g.points) expect(p.y).toBeCloseTo(w * p.x + b, 5);
  });

  it("follows the model after a step", () => {
    const step = phaseEvents(linear).find((e) => e.phase === "step");
    const g = fitGeometry(step?.fit);
    const w = step?.params["linear.weight"]?.values?.[0] as number;
    const b = step?.params["linear.bias"]?.values?.[0] as number;
    if (g?.kind !== "line") throw new Error("no line");
    for (const p of g.points) expect(p.y).toBeCloseTo(w * p.x + b, 4);
  });

  it("reads the mlp's curve and the data as (x, y) points", () => {
    const mlp = loadFixture("mlp").frames[0] as SessionEvent;
    const g = fitGeometry(mlp.fit);
    expect(g?.kind).toBe("curve");
    if (g?.kind === "curve") expect(g.points).toHaveLength(mlp.fit?.size ?? -1);
    const data = dataPoints(mlp.data?.x, mlp.data?.y);
    expect(data?.x).toHaveLength(mlp.data?.x?.shape[0] ?? -1);
    expect(data?.label).toBeNull();
  });

  it("reads class regions and two-column data with labels", () => {
    const regions = fitGeometry({
      kind: "regions",
      size: 2,
      extent: [0, 1, 0, 2],
      grid: { shape: [4, 2], dtype: "float32", values: null },
      output: { shape: [2, 2], dtype: "float32", values: [0.1, 0.9, 0.4, 0.6] },
    });
    expect(regions).toEqual({
      kind: "regions",
      size: 2,
      extent: [0, 1, 0, 2],
      probability: [0.1, 0.9, 0.4, 0.6],
    });
    const data = dataPoints(
      { shape: [2, 2], dtype: "float32", values: [1, 2, 3, 4] },
      { shape: [2], dtype: "int64", values: [0, 1] },
    );
    expect(data).toEqual({ x: [1, 3], y: [2, 4], label: [0, 1] });
    expect(classColor(1)).not.toBe(classColor(0));
    expect(probabilityColor(Number.NaN)).toBe("rgb(26, 26, 26)");
    expect(probabilityColor(0.5)).toMatch(/^rgb\(\d+, \d+, \d+\)$/);
  });

  it("pads extents and survives nothing to show", () => {
    expect(paddedExtent([0, 10], 0.1)).toEqual([-1, 11]);
    expect(paddedExtent([])).toEqual([0, 1]);
    expect(fitGeometry(null)).toBeNull();
  });
});
