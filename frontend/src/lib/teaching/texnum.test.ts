import { describe, expect, it } from "vitest";
import {
  decimalText,
  readableText,
  roundingOf,
  shortest32,
  shownText,
  shownValue,
  tex,
  texExact,
  texHyper,
  texOperand,
  texPower,
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

  it("brackets negative and scientific numbers that stand as a factor or a base", () => {
    expect(tex(0.00039, true)).toBe("(3.900\\times10^{-4})");
    expect(tex(0.5, true)).toBe("0.5000");
    expect(texExact(-2.279391e19, true)).toBe("(-2.279391\\times10^{19})");
    expect(texHyper(1e-8, true)).toBe("(1\\times10^{-8})");
    expect(texHyper(0.9, true)).toBe("0.9");
    expect(texOperand("\\infty")).toBe("\\infty");
    expect(texPower(tex(0.00039), 2)).toBe("(3.900\\times10^{-4})^{2}");
    expect(texPower("0.9", 3)).toBe("0.9^{3}");
  });

  it("writes huge and tiny results in scientific form, not as twenty digits", () => {
    expect(readableText("-22793910000000000000")).toBe("-2.279391e+19");
    expect(readableText("0.0005")).toBe("5e-4");
    expect(readableText("123.5")).toBe("123.5");
    expect(decimalText(-2.279391e19 - 0.03 * 1e18)).toBe("-2.282391e+19");
  });

  it("says how the shown digits were rounded", () => {
    expect(roundingOf([0.1447, -143.5077])).toBe("decimals");
    expect(roundingOf([2.3e19, 3.9e-5])).toBe("significant");
    expect(roundingOf([0.1447, 3.9e-5, 0])).toBe("mixed");
    expect(roundingOf([0, Number.NaN])).toBeNull();
  });
});
