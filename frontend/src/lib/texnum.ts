// Numbers for formulas: the digits a panel shows, as LaTeX, and exact float32 text (pure).
import { f32 } from "./float32";
import { formatNumber } from "./tensor";

/** The digits the panels show for x (formatNumber's), with an ASCII minus: "-143.5077". */
export function shownText(x: number, digits = 4): string {
  return formatNumber(x, digits).replace(/\u2212/g, "-");
}

/** The number those shown digits stand for (what a learner would type into a calculator). */
export function shownValue(x: number, digits = 4): number {
  return Number(shownText(x, digits).replace("∞", "Infinity"));
}

/** The shortest decimal that reads back as the same float32 (how the wire writes values). */
export function shortest32(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const v = f32(x);
  for (let p = 1; p <= 9; p++) {
    const text = v.toPrecision(p);
    if (f32(Number(text)) === v) return String(Number(text));
  }
  return String(v);
}

/**
 * A result of plain decimal arithmetic without binary noise: the short decimal it stands for
 * (1.5797770000000001 → "1.579777"), else 8 significant digits (a result with a square root
 * or a division in it does not terminate).
 */
export function decimalText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 10; p++) {
    const text = x.toPrecision(p);
    if (Math.abs(Number(text) - x) <= 1e-13 * Math.abs(x)) return String(Number(text));
  }
  return String(Number(x.toPrecision(8)));
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

/** LaTeX of x with the shown digits; negative numbers in parentheses when `paren`. */
export function tex(x: number, paren = false, digits = 4): string {
  const body = texOfText(shownText(x, digits).replace("∞", "Infinity"));
  return paren && body.startsWith("-") ? `(${body})` : body;
}

/** LaTeX of the exact float32 value (shortest decimal), parenthesised when negative and asked. */
export function texExact(x: number, paren = false): string {
  let text = shortest32(x);
  const abs = Math.abs(Number(text));
  // Small and large ones in scientific form, like the shown digits.
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) text = Number(text).toExponential();
  const body = texOfText(text);
  return paren && body.startsWith("-") ? `(${body})` : body;
}

/** LaTeX of a hyperparameter as Python would print it (0.01, 0.9, 1e-08 → 10^{-8}). */
export function texHyper(x: number): string {
  return texOfText(String(x));
}

/** Distance in float32 steps between two float32s (0 when equal; Infinity across NaN). */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (f32(a) === f32(b)) return 0;
  const view = new DataView(new ArrayBuffer(8));
  const key = (x: number, at: number) => {
    view.setFloat32(at, x);
    const n = view.getInt32(at);
    return n < 0 ? -2147483648 - n : n; // order negative floats below positive ones
  };
  return Math.abs(key(a, 0) - key(b, 4));
}
