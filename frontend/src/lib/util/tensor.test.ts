import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import type { TensorSummary, TensorValue } from "../wire/protocol";
import {
  decodeFloat,
  decodeValues,
  deltaValues,
  formatDelta,
  formatNumber,
  formatShape,
  formatTensor,
  shortenMiddle,
  signedTerm,
  gridShape,
  hasNonFinite,
  heatColor,
  heatPixels,
  histogramBars,
  sameSummary,
  sameTensor,
  maxAbs,
  NONFINITE_COLOR,
  numel,
  scalarOf,
  valuesJson,
} from "./tensor";

const tv = (values: TensorValue["values"], shape = [values?.length ?? 0]): TensorValue => ({
  shape,
  dtype: "float32",
  values,
});

describe("decoding", () => {
  it("turns the non-finite strings into numbers", () => {
    expect(decodeFloat("NaN")).toBeNaN();
    expect(decodeFloat("Infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(decodeFloat("-Infinity")).toBe(Number.NEGATIVE_INFINITY);
    expect(decodeFloat(1.5)).toBe(1.5);
    expect(decodeFloat(null)).toBeNaN();
  });

  it("decodes mixed value lists and leaves summaries alone", () => {
    expect(decodeValues(tv([1, "NaN", "-Infinity"]))).toEqual([1, NaN, -Infinity]);
    expect(decodeValues({ shape: [5000], dtype: "float32", summary: null })).toBeNull();
    expect(decodeValues(null)).toBeNull();
  });

  it("keeps torch's float32 exactly (the wire number is float32-shortest)", () => {
    // Initial weight of the default linear run: torch says 0.14465749263763428.
    const session = loadFixture("linear").frames[0];
    if (session?.type !== "session") throw new Error("fixture starts with a session");
    const w = scalarOf(session.params["linear.weight"]);
    expect(w).not.toBeNull();
    expect(Math.fround(w as number)).toBe(0.14465749263763428);
    const step = phaseEvents(loadFixture("linear")).find((e) => e.phase === "step");
    const after = scalarOf(step?.params["linear.weight"]);
    expect(Math.fround(after as number)).toBe(1.5797345638275146);
  });

  it("writes data-value as the received JSON, NaN strings included", () => {
    expect(valuesJson(tv([1.5797346]))).toBe("[1.5797346]");
    expect(valuesJson(tv(["NaN", "Infinity"]))).toBe('["NaN","Infinity"]');
    expect(valuesJson(null)).toBe("null");
    expect(valuesJson({ shape: [9000], dtype: "float32" })).toBe("null");
  });

  it("counts elements and scalars", () => {
    expect(numel([])).toBe(1);
    expect(numel([16, 16])).toBe(256);
    expect(scalarOf(tv([3], [1, 1]))).toBe(3);
    expect(scalarOf(tv([3, 4]))).toBeNull();
    expect(scalarOf(tv(["NaN"]))).toBeNaN();
    expect(scalarOf(tv(["-Infinity"], []))).toBe(-Infinity);
    expect(scalarOf(null)).toBeNull();
    expect(scalarOf({ shape: [1], dtype: "float32" })).toBeNull(); // a summary only
  });
});

describe("formatting", () => {
  it("shows NaN and infinities plainly", () => {
    expect(formatNumber("NaN")).toBe("NaN");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber("Infinity")).toBe("∞");
    expect(formatNumber("-Infinity")).toBe("−∞");
  });

  it("uses 4 decimals, a real minus, and exponents outside the everyday range", () => {
    expect(formatNumber(-143.5077)).toBe("−143.5077");
    expect(formatNumber(0.1446575)).toBe("0.1447");
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(1.5e-7)).toBe("1.500e−7");
    expect(formatNumber(2.7567303e36)).toBe("2.757e36");
    expect(formatNumber(0.00123)).toBe("0.0012");
  });

  it("signs deltas", () => {
    expect(formatDelta(1.43507)).toBe("+1.4351");
    expect(formatDelta(-0.02)).toBe("−0.0200");
    expect(formatDelta(NaN)).toBe("NaN");
  });

  it("prints shapes like torch", () => {
    expect(formatShape([])).toBe("()");
    expect(formatShape([1])).toBe("(1,)");
    expect(formatShape([100, 1])).toBe("(100, 1)");
  });

  it("summarises tensors", () => {
    expect(formatTensor(null)).toBe("None");
    expect(formatTensor(tv([2.5], [1]))).toBe("2.5000");
    expect(formatTensor(tv([1, 2, 3, 4, 5, 6], [6]), 2)).toBe("[1.0000, 2.0000, …] (6,)");
  });

  it("computes deltas element-wise", () => {
    expect(deltaValues(tv([1, 2]), tv([1.5, 1]))).toEqual([0.5, -1]);
    expect(deltaValues(tv([1]), tv([1, 2]))).toBeNull();
  });
});

describe("colours and grids", () => {
  it("is symmetric around zero and black for non-finite values", () => {
    expect(heatColor(NaN, 1)).toBe(NONFINITE_COLOR);
    expect(heatColor(Infinity, 1)).toBe(NONFINITE_COLOR);
    expect(heatColor(0, 1)).toBe(heatColor(-0, 1));
    expect(heatColor(1, 1)).not.toBe(heatColor(-1, 1));
    expect(heatColor(5, 1)).toBe(heatColor(1, 1)); // clamped
  });

  it("writes each value's heatColor as one RGBA pixel", () => {
    // d3's colour strings are the reference: "rgb(r, g, b)" or a hex for non-finite values.
    const channels = (css: string): number[] => {
      const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(css);
      if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
      return [1, 3, 5].map((i) => parseInt(css.slice(i, i + 2), 16));
    };
    const values = [-2.5, -1, -0.3337, 0, -0, 1e-9, 0.5, 0.9999, 2.5, 7, NaN, -Infinity];
    for (const range of [2.5, 1, 0]) {
      const pixels = heatPixels(values, range, values.length + 2);
      expect(pixels.length).toBe((values.length + 2) * 4);
      values.forEach((v, i) => {
        const rgba = Array.from(pixels.slice(i * 4, i * 4 + 4));
        expect(rgba, `${v} on ±${range}`).toEqual([...channels(heatColor(v, range)), 255]);
      });
      // Cells past the last value are left transparent.
      expect(Array.from(pixels.slice(values.length * 4))).toEqual(new Array(8).fill(0));
    }
  });

  it("finds the largest finite magnitude", () => {
    expect(maxAbs([1, -3, NaN, Infinity])).toBe(3);
    expect(maxAbs([])).toBe(0);
  });

  it("keeps matrices and wraps vectors and columns", () => {
    expect(gridShape([16, 16])).toEqual({ rows: 16, cols: 16 });
    expect(gridShape([1, 16])).toEqual({ rows: 1, cols: 16 });
    expect(gridShape([16])).toEqual({ rows: 1, cols: 16 });
    expect(gridShape([100, 1])).toEqual({ rows: 4, cols: 32 });
    expect(gridShape([])).toEqual({ rows: 1, cols: 1 });
  });

  it("reads histogram bars from a summary, skipping non-finite edges", () => {
    const bars = histogramBars({
      numel: 10,
      min: 0,
      max: 3,
      mean: 1,
      std: 1,
      first: [0, "NaN"],
      histogram: { edges: [0, 1, 2, "Infinity"], counts: [4, 5, 1] },
    });
    expect(bars).toEqual([
      { x0: 0, x1: 1, count: 4 },
      { x0: 1, x1: 2, count: 5 },
    ]);
  });

  it("tells a summary that says the same from one that differs anywhere", () => {
    const make = (): TensorSummary => ({
      numel: 10,
      min: 0,
      max: 3,
      mean: 1,
      std: "NaN",
      first: [0, "NaN"],
      histogram: { edges: [0, 1, 2, 3], counts: [4, 5, 1] },
    });
    // A new event's copy of the same numbers (JSON parsed again) is the same.
    expect(sameSummary(make(), JSON.parse(JSON.stringify(make())) as TensorSummary)).toBe(true);
    expect(sameSummary(null, undefined)).toBe(false);
    expect(sameSummary(make(), null)).toBe(false);
    const changes: ((s: TensorSummary) => void)[] = [
      (s) => (s.numel = 11),
      (s) => (s.min = -1),
      (s) => (s.max = 3.5),
      (s) => (s.mean = 1.25),
      (s) => (s.std = 1),
      (s) => (s.first = [0, 1]),
      (s) => (s.first = [0]),
      (s) => (s.histogram.counts = [4, 4, 2]),
      (s) => (s.histogram.edges = [0, 1, 2.5, 3]),
    ];
    for (const change of changes) {
      const other = make();
      change(other);
      expect(sameSummary(make(), other), JSON.stringify(other)).toBe(false);
    }
  });

  it("tells tensors that say the same from ones that differ", () => {
    const a = tv([1, "NaN", 3], [3]);
    expect(sameTensor(a, JSON.parse(JSON.stringify(a)) as TensorValue)).toBe(true);
    expect(sameTensor(a, tv([1, "NaN", 4], [3]))).toBe(false);
    expect(sameTensor(a, tv([1, "NaN", 3], [3, 1]))).toBe(false);
    expect(sameTensor(a, { ...a, dtype: "float64" })).toBe(false);
    expect(sameTensor(a, { shape: [3], dtype: "float32", summary: null })).toBe(false);
    expect(sameTensor(null, null)).toBe(true);
    expect(sameTensor(a, null)).toBe(false);
  });

  it("notices NaN in values and in summaries", () => {
    expect(hasNonFinite(tv([1, "NaN"]))).toBe(true);
    expect(hasNonFinite(tv([1, 2]))).toBe(false);
    expect(
      hasNonFinite({
        shape: [5000],
        dtype: "float32",
        summary: {
          numel: 5000,
          min: "NaN",
          max: "NaN",
          mean: "NaN",
          std: "NaN",
          first: [],
          histogram: { edges: [], counts: [] },
        },
      }),
    ).toBe(true);
  });
});

describe("signedTerm", () => {
  it("puts a negative term in parentheses", () => {
    expect(signedTerm(formatNumber(-40.2515))).toBe("(\u221240.2515)");
    expect(signedTerm(formatNumber(3))).toBe("3.0000");
  });
});

describe("shortenMiddle", () => {
  it("keeps both ends of a long id and leaves short ones alone", () => {
    expect(shortenMiddle("139873367997840")).toBe("1398…7840");
    expect(shortenMiddle("123456789")).toBe("123456789");
    expect(shortenMiddle("1234567890", 3)).toBe("123…890");
  });
});
