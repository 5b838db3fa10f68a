import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  addAlpha,
  addcdiv,
  addcmul,
  addScalar,
  divScalar,
  f32,
  fma32,
  lerp,
  mulScalar,
  same32,
  sqrt32,
} from "./float32";

interface OpRecord {
  scalars: Record<string, number>;
  a: number[];
  b: number[];
  c: number[];
  scalar: number[];
  vector: number[];
}

const recorded = JSON.parse(
  readFileSync(new URL("../__fixtures__/float32-ops.json", import.meta.url), "utf8"),
) as { torch: string; ops: Record<string, OpRecord> };

type Emulation = (a: number, b: number, c: number, s: Record<string, number>) => number;

const EMULATIONS: Record<string, Emulation> = {
  addAlpha: (a, b, _c, s) => addAlpha(a, b, s.alpha as number),
  mulScalar: (a, _b, _c, s) => mulScalar(a, s.s as number),
  divScalar: (_a, _b, c, s) => divScalar(c, s.s as number),
  addScalar: (_a, _b, c, s) => addScalar(c, s.s as number),
  lerp: (a, b, _c, s) => lerp(a, b, s.weight as number),
  lerpWide: (a, b, _c, s) => lerp(a, b, s.weight as number),
  addcmul: (a, b, _c, s) => addcmul(a, b, b, s.value as number),
  addcdiv: (a, b, c, s) => addcdiv(a, b, c, s.value as number),
  sqrt32: (_a, _b, c) => sqrt32(c),
};

/** Distance in float32 steps (units in the last place) between two float32s of one sign. */
function ulps(x: number, y: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat32(0, x);
  view.setFloat32(4, y);
  return Math.abs(view.getInt32(0) - view.getInt32(4));
}

describe("float32 emulation of torch's CPU kernels (recorded from torch)", () => {
  for (const [name, emulate] of Object.entries(EMULATIONS)) {
    const op = recorded.ops[name] as OpRecord;
    // Wire decimals → the float32s torch held.
    const [a, b, c] = [op.a.map(f32), op.b.map(f32), op.c.map(f32)];
    const run = () => a.map((x, i) => emulate(x, b[i] as number, c[i] as number, op.scalars));

    // torch's float32 sqrt goes through MKL on this build, which is within one float32 step
    // of the correctly rounded root but not always on it: that op is checked to one step.
    const tolerance = name === "sqrt32" ? 1 : 0;

    it(`${name}: one-element tensors match torch ${tolerance ? "within one step" : "bit for bit"}`, () => {
      const got = run();
      op.scalar.forEach((want, i) => {
        expect(ulps(got[i] as number, f32(want)), `element ${i}`).toBeLessThanOrEqual(tolerance);
      });
    });

    it(`${name}: 64-element tensors (vectorized kernel) match the same way`, () => {
      const got = run();
      op.vector.forEach((want, i) => {
        expect(ulps(got[i] as number, f32(want)), `element ${i}`).toBeLessThanOrEqual(tolerance);
      });
    });
  }
});

describe("fma32", () => {
  it("rounds once where rounding to double first would land on a float32 midpoint", () => {
    // a·b = 2^-24 − 2^-54, c = 1 + 2^-23: the exact sum lies just below the midpoint
    // 1 + 3·2^-24, so it rounds down to c. The double sum is that midpoint exactly, and
    // rounding it again (ties to even) would go up to 1 + 2^-22.
    const a = 1 + 2 ** -15;
    const b = 2 ** -24 - 2 ** -39;
    const c = 1 + 2 ** -23;
    expect(fma32(a, b, c)).toBe(c);
    expect(f32(a * b + c)).toBe(1 + 2 ** -22);
  });

  it("is exact for exact results and passes infinities through", () => {
    expect(fma32(3, 0.5, 0.25)).toBe(1.75);
    expect(fma32(3e38, 10, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("same32 compares as float32", () => {
    expect(same32(1.5797346, 1.5797345638275146)).toBe(true);
    expect(same32(0.1, 0.1000001)).toBe(false);
    expect(same32(Number.NaN, Number.NaN)).toBe(true);
  });
});
