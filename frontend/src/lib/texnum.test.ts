import { describe, expect, it } from "vitest";
import {
  decimalText,
  shortest32,
  shownText,
  shownValue,
  tex,
  texExact,
  ulpDistance,
} from "./texnum";

describe("numbers for formulas", () => {
  it("shows 4 decimals, or 4 significant digits in scientific form", () => {
    expect(shownText(-143.50770568847656)).toBe("-143.5077");
    expect(shownValue(0.14465749263763428)).toBe(0.1447);
    expect(tex(-0.0000123)).toBe("-1.230\\times10^{-5}");
    expect(tex(-2.5, true)).toBe("(-2.5000)");
  });

  it("writes float32 values as the wire does, the shortest decimal that reads back", () => {
    expect(shortest32(1.5797345638275146)).toBe("1.5797346");
    expect(texExact(0.00007384925)).toBe("7.384925\\times10^{-5}");
  });

  it("cleans binary noise from decimal arithmetic", () => {
    expect(decimalText(0.1447 - 0.01 * -143.5077)).toBe("1.579777");
    expect(decimalText(Math.sqrt(2))).toBe("1.4142136");
  });

  it("counts float32 steps, across zero too", () => {
    expect(ulpDistance(1, 1)).toBe(0);
    expect(ulpDistance(1, 1 + 2 ** -23)).toBe(1);
    expect(ulpDistance(-(2 ** -149), 2 ** -149)).toBe(2);
  });
});
