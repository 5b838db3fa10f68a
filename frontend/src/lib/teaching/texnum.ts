// Numbers for formulas: the digits a panel shows, as LaTeX, and exact float32 text (pure).
import { formatNumber } from "../util/tensor";

/** The digits the panels show for x (formatNumber's), with an ASCII minus: "-143.5077". */
export function shownText(x: number): string {
  return formatNumber(x).replace(/\u2212/g, "-");
}

/** The number those shown digits stand for (what a learner would type into a calculator). */
export function shownValue(x: number): number {
  return Number(shownText(x).replace("∞", "Infinity"));
}

/** The shortest decimal that reads back as the same float32 (how the wire writes values). */
export function shortest32(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const v = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const text = v.toPrecision(p);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(v);
}

/**
 * A result of plain decimal arithmetic without binary noise: the short decimal it stands for
 * (1.5797770000000001 → "1.579777"), else 8 significant digits (a result with a square root
 * or a division in it does not terminate); scientific form for very small or large ones.
 */
export function decimalText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 10; p++) {
    const text = x.toPrecision(p);
    if (Math.abs(Number(text) - x) <= 1e-13 * Math.abs(x))
      return readableText(String(Number(text)));
  }
  return readableText(String(Number(x.toPrecision(8))));
}

/** LaTeX for a number written as text ("-1.2e-5" → "-1.2\times10^{-5}"). */
export function texOfText(text: string): string {
  const m = /^(-?)(\d+(?:\.\d+)?)e([+-]?\d+)$/i.exec(text);
  if (m) return `${m[1]}${m[2]}\\times10^{${Number(m[3])}}`;
  if (text === "Infinity") return "\\infty";
  if (text === "-Infinity") return "-\\infty";
  if (text === "NaN") return "\\text{NaN}";
  return text;
}

/**
 * A LaTeX number made safe to stand as a factor or as the base of a power: parenthesised
 * when negative or in scientific form. `3.9\times10^{-4}^2` is a KaTeX error (a double
 * superscript) and `0.9 \times 3.9\times10^{-4}` reads as three factors.
 */
export function texOperand(body: string): string {
  return body.startsWith("-") || body.includes("\\times") ? `(${body})` : body;
}

/** `base^{exponent}` with the base made safe first (see texOperand). */
export function texPower(base: string, exponent: string | number): string {
  return `${texOperand(base)}^{${exponent}}`;
}

/** LaTeX of x with the shown digits; as a safe operand (see texOperand) when `paren`. */
export function tex(x: number, paren = false): string {
  const body = texOfText(shownText(x).replace("∞", "Infinity"));
  return paren ? texOperand(body) : body;
}

/** True for magnitudes the panels write in scientific form (as formatNumber does). */
function scientific(x: number): boolean {
  const abs = Math.abs(x);
  return Number.isFinite(abs) && abs !== 0 && (abs < 1e-3 || abs >= 1e6);
}

/**
 * A decimal for the notes under a formula: scientific form for very small and very large
 * magnitudes ("-2.279391e+19", not twenty digits), else as it is ("-143.50771").
 */
export function readableText(text: string): string {
  const x = Number(text);
  return scientific(x) ? x.toExponential() : text;
}

/** The exact float32 value for the notes: shortest decimal, readable (see readableText). */
export function exactNote(x: number): string {
  return readableText(shortest32(x));
}

/** A double for the notes, to 10 significant digits, readable (see readableText). */
export function tenNote(x: number): string {
  return readableText(Number.isFinite(x) ? String(Number(x.toPrecision(10))) : String(x));
}

/** LaTeX of the exact float32 value (shortest decimal), a safe operand when `paren`. */
export function texExact(x: number, paren = false): string {
  // Small and large ones in scientific form, like the shown digits.
  const body = texOfText(readableText(shortest32(x)));
  return paren ? texOperand(body) : body;
}

/** LaTeX of a hyperparameter as Python would print it (0.01, 0.9, 1e-08 → 10^{-8}). */
export function texHyper(x: number, paren = false): string {
  const body = texOfText(String(x));
  return paren ? texOperand(body) : body;
}

/** How the shown digits of some numbers were rounded (null when none was). */
export type Rounding = "decimals" | "significant" | "mixed";

/**
 * Which rounding formatNumber applied to `values`: a fixed number of decimals between 1e-3
 * and 1e6, else that many significant digits in scientific form; zero and non-finite
 * values are shown as they are.
 */
export function roundingOf(values: readonly number[]): Rounding | null {
  let decimals = false;
  let significant = false;
  for (const x of values) {
    if (!Number.isFinite(x) || x === 0) continue;
    if (scientific(x)) significant = true;
    else decimals = true;
  }
  if (decimals && significant) return "mixed";
  return decimals ? "decimals" : significant ? "significant" : null;
}

/** Distance in float32 steps between two float32s (0 when equal; Infinity across NaN). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (Math.fround(a) === Math.fround(b)) return 0;
  const view = new DataView(new ArrayBuffer(8));
  const key = (x: number, at: number) => {
    view.setFloat32(at, x);
    const n = view.getInt32(at);
    return n < 0 ? -2147483648 - n : n; // order negative floats below positive ones
  };
  return Math.abs(key(a, 0) - key(b, 4));
}
