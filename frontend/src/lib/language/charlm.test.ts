import { describe, expect, it } from "vitest";
import { batchRows, pickedView, positionView, rowsView, visibleChar, vocabChars } from "./charlm";
import type { PositionChoices, PositionSoftmax, TensorValue } from "../wire/protocol";

const int = (shape: number[], values: number[]): TensorValue => ({ shape, dtype: "int64", values });
const f32 = (shape: number[], values: number[]): TensorValue => ({
  shape,
  dtype: "float32",
  values,
});

describe("charlm views", () => {
  it("reads the vocabulary by code point, so characters outside the BMP keep one id", () => {
    expect(vocabChars("a𝄞b")).toEqual(["a", "𝄞", "b"]);
    expect(visibleChar("\n")).not.toBe("\n");
    expect(visibleChar(" ")).not.toBe(" ");
  });

  it("lays the batch out as windows with their next characters", () => {
    const chars = vocabChars("abcd");
    // Two windows of three: "abc" → "bcd", "dca" → "cab".
    const x = int([2, 3], [0, 1, 2, 3, 2, 0]);
    const y = int([6], [1, 2, 3, 2, 0, 1]);
    const rows = batchRows(x, y, chars);
    expect(rows?.map((r) => r.inputs.join(""))).toEqual(["abc", "dca"]);
    expect(rows?.map((r) => r.targets.join(""))).toEqual(["bcd", "cab"]);
    expect(batchRows(x, null, chars)?.[0]?.targets).toEqual([]);
    expect(batchRows(x, y, chars, 1)).toHaveLength(1);
    expect(batchRows({ shape: [2, 3], dtype: "int64" }, y, chars)).toBeNull();
  });

  it("marks the target among the most probable characters", () => {
    const chars = vocabChars("xyz");
    const pos: PositionSoftmax = {
      position: 5,
      target: 2,
      loss: f32([], [-Math.log(0.25)]),
      probs: f32([3], [0.5, 0.25, 0.25]),
      top_ids: [0, 2],
      top_probs: f32([2], [0.5, 0.25]),
    };
    const view = positionView(pos, chars);
    expect(view.target).toEqual({ id: 2, char: "z", prob: 0.25, target: true });
    expect(view.top.map((b) => [b.char, b.target])).toEqual([
      ["x", false],
      ["z", true],
    ]);
    expect(view.loss).toBeCloseTo(-Math.log(view.target.prob), 12);
    expect(view.others).toBe(1);
  });

  it("says whether the rows with a gradient are the rows the batch used", () => {
    expect(rowsView([1, 4], undefined, 6).same).toBeNull();
    expect(rowsView([1, 4], [4, 1], 6).same).toBe(true);
    expect(rowsView([1, 4], [1, 4, 5], 6).same).toBe(false);
  });
});

describe("a position the learner picks", () => {
  // Two windows of two characters: four positions, top 2 each (row-major, as torch sends).
  const choices: PositionChoices = {
    count: 4,
    targets: [1, 2, 0, 2],
    target_probs: f32([4], [0.5, 0.125, 0.25, 0.75]),
    losses: f32([4], [-Math.log(0.5), -Math.log(0.125), -Math.log(0.25), -Math.log(0.75)]),
    top_ids: [
      [1, 0],
      [0, 1],
      [1, 0],
      [2, 1],
    ],
    top_probs: f32([4, 2], [0.5, 0.3, 0.6, 0.2, 0.5, 0.25, 0.75, 0.2]),
  };
  const chars = vocabChars("abc");

  it("reads that position's row of every field", () => {
    const view = pickedView(choices, 2, chars);
    expect(view?.position).toBe(2);
    expect(view?.target).toEqual({ id: 0, char: "a", prob: 0.25, target: true });
    expect(view?.top.map((b) => [b.char, b.prob, b.target])).toEqual([
      ["b", 0.5, false],
      ["a", 0.25, true],
    ]);
    expect(view?.loss).toBe(-Math.log(0.25));
    // The target may be outside the top k: it is still named, with its own probability.
    const outside = pickedView(choices, 1, chars);
    expect(outside?.top.some((b) => b.target)).toBe(false);
    expect(outside?.target.prob).toBe(0.125);
  });

  it("has nothing for a position that was not sent", () => {
    expect(pickedView(choices, 4, chars)).toBeNull();
    expect(pickedView(undefined, 0, chars)).toBeNull();
    expect(
      pickedView({ ...choices, top_probs: { shape: [4, 2], dtype: "float32" } }, 0, chars),
    ).toBeNull();
  });
});
