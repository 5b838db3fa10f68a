import katex from "katex";
import { describe, expect, it } from "vitest";
import { breakable } from "./texbreak";

const render = (tex: string) =>
  katex.renderToString(tex, { displayMode: false, throwOnError: true, strict: "ignore" });

/** How many pieces KaTeX lays out side by side (a line may break between two of them). */
const pieces = (tex: string) => render(tex).match(/class="katex-base"/g)?.length ?? 0;

describe("breakable formulas", () => {
  it("groups each stretch between top-level operators, keeping signs with their numbers", () => {
    expect(breakable("= -0.3811 - 0.01 \\times (-143.5077) = 1.5797346")).toBe(
      "= {\\displaystyle -0.3811} - {\\displaystyle 0.01} \\times {\\displaystyle (-143.5077)}" +
        " = {\\displaystyle 1.5797346}",
    );
  });

  it("never breaks inside parentheses, absolute values or a number in scientific form", () => {
    const out = breakable("= (1 - 0.999) \\times (3.900\\times10^{-4})^{2} + 7.1\\times10^{5}");
    expect(out).toBe(
      "= {\\displaystyle (1 - 0.999)} \\times {\\displaystyle (3.900\\times10^{-4})^{2}}" +
        " + {\\displaystyle 7.1\\times10^{5}}",
    );
    expect(breakable("\\lvert 2 - (-1) \\rvert + 1")).toBe(
      "{\\displaystyle \\lvert 2 - (-1) \\rvert} + {\\displaystyle 1}",
    );
  });

  it("lets a sum inside \\Big[ … \\Big] break between its terms", () => {
    const out = breakable("= \\frac{1}{3}\\Big[(1 - 2)^2 + (3 - 4)^2\\Big] = 1");
    expect(out).toBe(
      "= {\\displaystyle \\frac{1}{3}\\Big[(1 - 2)^2} + {\\displaystyle (3 - 4)^2\\Big]} = {\\displaystyle 1}",
    );
  });

  it("may break after the comma of a list", () => {
    expect(breakable("a = 1,\\; b = 2")).toBe(
      "{\\displaystyle a} = {\\displaystyle 1,\\;} \\allowbreak {\\displaystyle b} = {\\displaystyle 2}",
    );
  });

  it("renders in KaTeX with a break opportunity at every top-level operator", () => {
    const tex =
      "= 0.999 \\times 0 + (1 - 0.999) \\times (3.900\\times10^{-4})^{2} = 1.5\\times10^{-10}";
    // = | 0.999 × | 0 + | (1 − 0.999) × | (3.9×10⁻⁴)² = | 1.5×10⁻¹⁰: six pieces.
    expect(pieces(breakable(tex))).toBe(6);
    // Display-size fractions, as in display mode.
    expect(render(breakable("= \\frac{1}{2}"))).toContain("mfrac");
  });
});
