// float32 arithmetic as torch's CPU kernels do it, one element at a time (pure).
//
// Every value here is a float32 held in a JS double. A double has more than 2·24+2 bits, so
// computing +, −, ×, ÷ or √ of two float32s in double and rounding once with Math.fround
// gives exactly the correctly rounded float32 result. A fused multiply-add (one rounding of
// a·b + c) needs a little more care: see fma32.
//
// Which rounding each torch op does was measured against torch 2.13 on x86-64 (AVX2/AVX512
// kernels): `add_(b, alpha)` and `lerp_` are fused multiply-adds, `addcmul_` fuses its last
// step, `addcdiv_` does not. torch's float32 `sqrt` goes through MKL, which can be one float32
// step off the correctly rounded root; optimizers.ts tries both neighbours when it matters.
// Other builds may round differently: every emulated number is checked against the one torch
// sent, and the panels say so when they differ.

/** Round a number to the nearest float32 (ties to even). */
export const f32 = Math.fround;

const bits64 = new DataView(new ArrayBuffer(8));
const bits32 = new DataView(new ArrayBuffer(4));

/** The neighbouring double of a finite x in direction `dir`. */
function nextDouble(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  bits64.setFloat64(0, x);
  const n = bits64.getBigInt64(0);
  // For a positive double the next one up has the next bit pattern; mirrored for negatives.
  bits64.setBigInt64(0, x > 0 === dir > 0 ? n + 1n : n - 1n);
  return bits64.getFloat64(0);
}

/** The neighbouring float32 of a finite float32 x in direction `dir`. */
function nextFloat32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 2 ** -149;
  bits32.setFloat32(0, x);
  const n = bits32.getInt32(0);
  bits32.setInt32(0, x > 0 === dir > 0 ? n + 1 : n - 1);
  return bits32.getFloat32(0);
}

/**
 * round(a·b + c) to float32 with a single rounding, as a fused multiply-add on float32
 * operands does. a·b is exact in double; the sum may round, and rounding twice (to double,
 * then to float32) can only go wrong when that double lands exactly halfway between two
 * float32s: then the sign of the lost part decides.
 */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return f32(s);
  // TwoSum: s + e = p + c exactly.
  const bv = s - p;
  const e = p - (s - bv) + (c - bv);
  const r = f32(s);
  if (e === 0 || r === s || !Number.isFinite(r)) return r;
  const other = nextFloat32(r, s > r ? 1 : -1);
  const halfway = (r + other) / 2 === s;
  return halfway ? f32(nextDouble(s, e > 0 ? 1 : -1)) : r;
}

// ---------------------------------------------------------------- torch ops, one element

/** `a.add_(b, alpha=alpha)`: a + alpha·b, fused (alpha is cast to float32 first). */
export function addAlpha(a: number, b: number, alpha: number): number {
  return fma32(f32(alpha), b, a);
}

/** `a.mul_(s)` with a Python float s (cast to float32). */
export function mulScalar(a: number, s: number): number {
  return f32(a * f32(s));
}

/** `a / s` with a Python float s (cast to float32). */
export function divScalar(a: number, s: number): number {
  return f32(a / f32(s));
}

/** `a.add_(s)` with a Python float s. */
export function addScalar(a: number, s: number): number {
  return f32(a + f32(s));
}

/** `self.lerp_(end, weight)`: self + w·(end − self) for |w| < 0.5, else end − (end − self)·(1 − w). */
export function lerp(self: number, end: number, weight: number): number {
  const w = f32(weight);
  const diff = f32(end - self);
  return Math.abs(w) < 0.5 ? fma32(w, diff, self) : fma32(-diff, f32(1 - w), end);
}

/** `self.addcmul_(t1, t2, value=v)`: self + (v·t1)·t2, the last multiply-add fused. */
export function addcmul(self: number, t1: number, t2: number, value: number): number {
  return fma32(f32(f32(value) * t1), t2, self);
}

/** `self.addcdiv_(t1, t2, value=v)`: self + (v·t1)/t2, each step rounded. */
export function addcdiv(self: number, t1: number, t2: number, value: number): number {
  return f32(self + f32(f32(f32(value) * t1) / t2));
}

/** The correctly rounded float32 square root (torch's may be one step off: see above). */
export function sqrt32(x: number): number {
  return f32(Math.sqrt(x));
}

/** The float32 one step above (dir 1) or below (dir −1) a finite float32. */
export function stepFloat32(x: number, dir: 1 | -1): number {
  return nextFloat32(x, dir);
}

/** True when two numbers are the same float32 (NaN equals NaN here). */
export function same32(a: number, b: number): boolean {
  return Object.is(f32(a), f32(b)) || (a === 0 && b === 0);
}
