import { describe, expect, it } from "vitest";
import { fitCanvas } from "./canvas";
import type { SizedCanvas } from "./canvas";

/** A canvas stand-in that counts assignments to width and height (each one clears it). */
function fakeCanvas(): SizedCanvas & { assignments: number } {
  let width = 300;
  let height = 150;
  return {
    assignments: 0,
    style: { width: "", height: "" },
    get width() {
      return width;
    },
    set width(value: number) {
      this.assignments += 1;
      width = value;
    },
    get height() {
      return height;
    },
    set height(value: number) {
      this.assignments += 1;
      height = value;
    },
  };
}

describe("fitCanvas", () => {
  it("sizes the backing store in device pixels and the element in CSS pixels", () => {
    const canvas = fakeCanvas();
    expect(fitCanvas(canvas, 200.4, 100, 2)).toBe(true);
    expect([canvas.width, canvas.height]).toEqual([401, 200]);
    expect(canvas.style).toEqual({ width: "200.4px", height: "100px" });
  });

  it("assigns nothing when the size is already right", () => {
    const canvas = fakeCanvas();
    fitCanvas(canvas, 120, 80, 1);
    const before = canvas.assignments;
    expect(fitCanvas(canvas, 120, 80, 1)).toBe(false);
    expect(canvas.assignments).toBe(before);
  });

  it("resizes when only the height or only the pixel ratio changes", () => {
    const canvas = fakeCanvas();
    fitCanvas(canvas, 120, 80, 1);
    expect(fitCanvas(canvas, 120, 81, 1)).toBe(true);
    expect(canvas.height).toBe(81);
    expect(fitCanvas(canvas, 120, 81, 1.5)).toBe(true);
    expect([canvas.width, canvas.height]).toEqual([180, 122]);
  });
});
