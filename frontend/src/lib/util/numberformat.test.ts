// One value, one format: every place the page prints a number goes through formatNumber
// (util/tensor) with no per-call digits, or is one of the few listed places that print
// something else on purpose (exact float32 text, axis ticks, SVG coordinates, a seconds
// countdown). A new `toFixed` or a digits argument in a panel fails here, naming the file.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { formatNumber } from "./tensor";

const SRC = join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "__fixtures__" ? [] : sources(path);
    const code = /\.(ts|svelte)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name);
    return code ? [path] : [];
  });
}

/** Files allowed to round numbers themselves, and why. */
const OWN_ROUNDING: Readonly<Record<string, string>> = {
  "lib/util/tensor.ts": "formatNumber itself",
  "lib/teaching/texnum.ts": "exact float32 text (shortest decimal) and the notes' 10 digits",
  "lib/charts/charts.ts": "axis tick labels (3 significant digits of a tick, not a value)",
  "lib/charts/contour.ts": "SVG path coordinates",
  "lib/graph/phaseview.ts": "SVG path coordinates",
  "components/controls/StatusBar.svelte": "seconds until the socket reconnects",
  "components/charts/LossLandscape.svelte": "the data's mean x, a one-decimal description",
  "components/teaching/NotesLive.svelte": "the notes' own arithmetic, 10 digits",
};

const ROUNDING = /\.(toFixed|toPrecision|toExponential)\(/;
// formatNumber(x, 3): a second argument would be a per-site digits knob again.
const DIGITS_ARG = /formatNumber\((?:[^()]|\([^()]*\))*,\s*\d/;

describe("number formatting call sites", () => {
  const files = sources(SRC).map((path) => ({
    name: relative(SRC, path).split("\\").join("/"),
    code: readFileSync(path, "utf8"),
  }));

  it("finds the page's sources", () => {
    expect(files.some((f) => f.name === "components/loop/ParamBox.svelte")).toBe(true);
    expect(files.filter((f) => f.code.includes("formatNumber(")).length).toBeGreaterThan(8);
  });

  it("rounds numbers only through formatNumber, or in a listed place", () => {
    const rogue = files.filter((f) => ROUNDING.test(f.code) && !(f.name in OWN_ROUNDING));
    expect(rogue.map((f) => f.name)).toEqual([]);
  });

  it("never passes formatNumber a digits argument", () => {
    const knobs = files.filter((f) => DIGITS_ARG.test(f.code));
    expect(knobs.map((f) => f.name)).toEqual([]);
  });

  it("prints float32 values by the stated rule", () => {
    // torch's float32 18170.0234375: four decimals, the same text wherever it is shown.
    expect(formatNumber(Math.fround(18170.0234))).toBe("18170.0234");
    expect(formatNumber(Math.fround(0.00012349))).toBe("1.235e\u22124");
    expect(formatNumber(-Math.fround(2.5e7))).toBe("\u22122.500e7");
    expect(formatNumber(0.00004)).toBe("4.000e\u22125");
  });
});
