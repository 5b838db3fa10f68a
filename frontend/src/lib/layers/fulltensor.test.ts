import { describe, expect, it } from "vitest";
import {
  answers,
  cellAt,
  cellSize,
  colourOf,
  fullGrid,
  sameMoment,
  travelsAsSummary,
} from "./fulltensor";
import type { PhaseEvent, TensorEvent, TensorValue } from "../wire/protocol";

const matrix: TensorValue = {
  shape: [2, 3],
  dtype: "float32",
  values: [-2, 0, 1, "NaN", 0.5, "Infinity"],
};

describe("fullGrid", () => {
  it("keeps a matrix's rows and decodes every value exactly", () => {
    const grid = fullGrid(matrix);
    expect(grid).not.toBeNull();
    if (!grid) return;
    expect([grid.rows, grid.cols]).toEqual([2, 3]);
    expect(grid.values.slice(0, 3)).toEqual([-2, 0, 1]);
    expect(Number.isNaN(grid.values[3])).toBe(true);
    expect([grid.min, grid.max, grid.nonFinite]).toEqual([-2, 1, 2]);
    expect(cellAt(grid, 1, 1)).toEqual({ row: 1, col: 1, value: 0.5 });
    expect(cellAt(grid, 2, 0)).toBeNull();
    expect(cellAt(grid, 0, 3)).toBeNull();
  });

  it("wraps a vector and gives nothing for a summary", () => {
    const vector: TensorValue = { shape: [40], dtype: "float32", values: Array(40).fill(1) };
    const grid = fullGrid(vector);
    expect(grid && [grid.rows, grid.cols]).toEqual([2, 32]);
    if (grid) expect(cellAt(grid, 1, 9)).toBeNull(); // past the 40th value
    const summary: TensorValue = {
      shape: [5000],
      dtype: "float32",
      summary: {
        numel: 5000,
        min: 0,
        max: 1,
        mean: 0.5,
        std: 0.1,
        histogram: { edges: [0, 1], counts: [5000] },
        first: [0.5],
      },
    };
    expect(fullGrid(summary)).toBeNull();
    expect(travelsAsSummary(summary)).toBe(true);
    expect(travelsAsSummary(matrix)).toBe(false);
  });
});

describe("colourOf", () => {
  it("is symmetric around zero, white at zero, black for NaN and infinities", () => {
    const grid = fullGrid(matrix);
    if (!grid) throw new Error("a grid");
    const colour = colourOf(grid);
    expect(colour(0)).toBe("rgb(247, 247, 247)");
    expect(colour(-2)).toBe("rgb(33, 102, 172)");
    expect(colour(2)).toBe("rgb(178, 24, 43)");
    expect(colour(5)).toBe(colour(2)); // clamped
    expect(colour(Number.NaN)).toBe(colour(Number.POSITIVE_INFINITY));
    expect(colour(Number.NaN)).not.toBe(colour(0));
  });
});

describe("answers and cellSize", () => {
  const event: TensorEvent = {
    type: "tensor",
    name: "lm_head.weight",
    kind: "state",
    key: "exp_avg",
    iteration: 3,
    next_phase: "forward",
    value: matrix,
  };
  it("matches the ask it answers only", () => {
    expect(answers(event, { name: "lm_head.weight", kind: "state", key: "exp_avg" })).toBe(true);
    expect(answers(event, { name: "lm_head.weight", kind: "state", key: "exp_avg_sq" })).toBe(
      false,
    );
    expect(answers(event, { name: "lm_head.weight", kind: "value", key: null })).toBe(false);
    expect(answers(null, { name: "lm_head.weight", kind: "value", key: null })).toBe(false);
  });
  it("keeps cells between 1 and 12 px", () => {
    const wide = fullGrid({ shape: [2, 1000], dtype: "float32", values: Array(2000).fill(0) });
    const small = fullGrid(matrix);
    if (!wide || !small) throw new Error("grids");
    expect(cellSize(wide)).toEqual({ w: 1, h: 1 });
    expect(cellSize(small)).toEqual({ w: 12, h: 12 });
  });
});

describe("sameMoment", () => {
  const answer = (iteration: number, next: TensorEvent["next_phase"]): TensorEvent => ({
    type: "tensor",
    name: "w",
    kind: "value",
    key: null,
    iteration,
    next_phase: next,
    value: null,
  });
  const frame = (iteration: number, phase: PhaseEvent["phase"], next: PhaseEvent["next_phase"]) =>
    ({ iteration, phase, next_phase: next }) as PhaseEvent;
  it("puts a step's frame before the next iteration's forward", () => {
    expect(sameMoment(answer(1, "forward"), frame(0, "step", "forward"))).toBe(true);
    expect(sameMoment(answer(0, "forward"), frame(0, "step", "forward"))).toBe(false);
    expect(sameMoment(answer(2, "backward"), frame(2, "zero_grad", "backward"))).toBe(true);
    expect(sameMoment(answer(3, "backward"), frame(2, "zero_grad", "backward"))).toBe(false);
    expect(sameMoment(answer(0, "forward"), null)).toBe(true);
  });
});
