// optimizer.step()'s update rule as LaTeX with this step's numbers (pure). Every number is
// one torch computed: the server replays step() on clones with the kernels step() used and
// sends each term (ParamUpdate.terms), and says whether the replay gave step()'s very bits.
// The page only writes them out; the one sum it does itself is the last line's, in real
// arithmetic, to show how far exact math and the rounded digits land from float32.
import type { ParamUpdate, TensorValue, UpdateTerm, WireFloat } from "../wire/protocol";
import { decodeFloat } from "../util/tensor";
import { decimalText, roundingOf, shownValue, tex, texExact, texHyper, texPower } from "./texnum";
import type { Rounding } from "./texnum";

export interface FormulaLine {
  /** The rule in symbols. */
  rule: string;
  /** The same with this step's numbers, ending in the value torch computed. */
  filled: string;
}

export interface StateValue {
  key: string;
  value: number;
}

export interface UpdateFormula {
  name: string;
  /** The element written out: "" for a one-element parameter, else "[0]" / "[0, 0]". */
  element: string;
  /** The symbol of the element in the formulas: w, W_{1,1}, b, b_1 or θ. */
  symbol: string;
  /** The received values, untouched, for data- attributes and tests. */
  wire: { before: WireFloat; grad: WireFloat; after: WireFloat; lr: number };
  lines: FormulaLine[];
  /** step()'s new value of the element. */
  torch: number;
  /** The server's replay of step() on clones: its result, and whether all its bits agree. */
  replayed: number | null;
  sameBits: boolean | null;
  /** Real arithmetic on the last line's float32 inputs, and on the digits it shows. */
  exact: number;
  decimal: number;
  decimalShown: string;
  /** How the digits shown (and used for `decimal`) were rounded. */
  shownRounding: Rounding | null;
  /** True on the optimizer's first step for the parameter: its state starts here. */
  first: boolean;
  /** The optimizer state step() left, for the keys the run's capabilities name. */
  state: StateValue[];
}

type TermKey = UpdateTerm["key"];

/** A tensor's first element on the wire: from its values, or a summary's first values. */
function firstWire(tensor: TensorValue): WireFloat {
  return tensor.values?.[0] ?? tensor.summary?.first[0] ?? "NaN";
}

/** A tensor's first element as the float it is (float32 on the wire is the shortest text). */
function elementOf(tensor: TensorValue): number {
  const x = decodeFloat(firstWire(tensor));
  return tensor.dtype === "float32" ? Math.fround(x) : x;
}

function firstOf(
  value: UpdateTerm["value"] | ParamUpdate["state"][string] | undefined,
): number | null {
  if (value === undefined) return null;
  return typeof value === "object" ? elementOf(value) : decodeFloat(value);
}

function hyperNumber(u: ParamUpdate, key: string, fallback = 0): number {
  const value = u.hyper[key];
  if (Array.isArray(value) || typeof value === "boolean" || value === null || value === undefined)
    return fallback;
  return decodeFloat(value);
}

function betas(u: ParamUpdate): [number, number] {
  const value = u.hyper.betas;
  if (!Array.isArray(value)) return [Number.NaN, Number.NaN];
  return [decodeFloat(value[0] ?? null), decodeFloat(value[1] ?? null)];
}

// Numbers that stand as a factor or a power's base: bracketed when negative or in
// scientific form, so "(3.9\times10^{-4})^{2}" never becomes a double superscript.
const P = (x: number) => tex(x, true);
const H = (x: number) => texHyper(x, true);

/**
 * The symbol for a parameter's first element, as the chain rule writes it: w (W_{1,1} in a
 * matrix) for a weight, b (b_1) for a bias, θ for any other parameter.
 */
export function paramSymbol(name: string, shape: readonly number[]): string {
  const leaf = name.split(".").at(-1) ?? name;
  const size = shape.reduce((a, b) => a * b, 1);
  if (leaf === "weight") return size === 1 ? "w" : shape.length > 1 ? "W_{1,1}" : "w_1";
  const base = leaf === "bias" ? "b" : "\\theta";
  if (size === 1) return base;
  return shape.length === 1 ? `${base}_1` : `${base}_{${shape.map(() => 1).join(",")}}`;
}

/** The momentum buffer, named as in torch's sgd.py (`buf`): "b" is the bias here. */
const BUF = "\\mathrm{buf}";

/** A term's first element (NaN when the server did not send it). */
type Term = (key: TermKey) => number;

/** Lines shared by both families before their own: maximize, then L2 weight decay. */
function gradientLines(
  u: ParamUpdate,
  t: Term,
  has: (k: TermKey) => boolean,
  p: string,
  w: number,
) {
  const lines: FormulaLine[] = [];
  const grad = t("grad");
  const maximize = u.hyper.maximize === true;
  const g = maximize ? -grad : grad;
  if (maximize) lines.push({ rule: "g \\leftarrow -g", filled: `= ${texExact(g)}` });
  if (has("grad_with_weight_decay")) {
    lines.push({
      rule: `g \\leftarrow g + \\lambda\\, ${p}`,
      filled: `= ${tex(g)} + ${H(hyperNumber(u, "weight_decay"))} \\times ${P(w)} = ${texExact(t("grad_with_weight_decay"))}`,
    });
  }
  return { lines, g: has("grad_with_weight_decay") ? t("grad_with_weight_decay") : g };
}

function sgdLines(u: ParamUpdate, t: Term, has: (k: TermKey) => boolean, p: string) {
  const w = elementOf(u.before);
  const { lines, g } = gradientLines(u, t, has, p, w);
  let symbol = "g";
  if (has("momentum_buffer")) {
    const mu = hyperNumber(u, "momentum");
    const dampening = hyperNumber(u, "dampening");
    if (!has("momentum_buffer_prev")) {
      lines.push({ rule: `${BUF}_1 = g`, filled: `= ${texExact(t("momentum_buffer"))}` });
    } else {
      const damp = dampening ? `(1 - ${texHyper(dampening)}) \\times ` : "";
      lines.push({
        rule: `${BUF}_t = \\mu\\, ${BUF}_{t-1} + ${dampening ? "(1-\\tau)\\," : ""}g`,
        filled: `= ${H(mu)} \\times ${P(t("momentum_buffer_prev"))} + ${damp}${P(g)} = ${texExact(t("momentum_buffer"))}`,
      });
    }
    symbol = `${BUF}_t`;
    if (u.hyper.nesterov === true) {
      lines.push({
        rule: `d = g + \\mu\\, ${BUF}_t`,
        filled: `= ${tex(g)} + ${H(mu)} \\times ${P(t("momentum_buffer"))} = ${texExact(t("direction"))}`,
      });
      symbol = "d";
    }
  }
  const lr = hyperNumber(u, "lr");
  const direction = t("direction");
  lines.push({
    rule: `${p} \\leftarrow ${p} - \\eta\\, ${symbol}`,
    filled: `= ${tex(w)} - ${H(lr)} \\times ${P(direction)} = ${texExact(t("param"))}`,
  });
  const real = (pick: (x: number) => number) => pick(w) - pick(lr) * pick(direction);
  return { lines, real, first: !has("momentum_buffer_prev") };
}

function adamLines(u: ParamUpdate, t: Term, has: (k: TermKey) => boolean, p: string) {
  const w = elementOf(u.before);
  const lr = hyperNumber(u, "lr");
  const [beta1, beta2] = betas(u);
  const [b1, b2] = [texHyper(beta1), texHyper(beta2)];
  const { lines, g } = gradientLines(u, t, has, p, w);
  const decayed = has("decayed_param") ? t("decayed_param") : w;
  if (has("decayed_param")) {
    lines.unshift({
      rule: `${p} \\leftarrow ${p}\\,(1 - \\eta\\lambda)`,
      filled: `= ${tex(w)} \\times (1 - ${H(lr)} \\times ${H(hyperNumber(u, "weight_decay"))}) = ${texExact(decayed)}`,
    });
  }
  lines.push({
    rule: "m_t = \\beta_1 m_{t-1} + (1-\\beta_1)\\, g",
    filled: `= ${H(beta1)} \\times ${P(t("exp_avg_prev"))} + (1 - ${b1}) \\times ${P(g)} = ${texExact(t("exp_avg"))}`,
  });
  lines.push({
    rule: "v_t = \\beta_2 v_{t-1} + (1-\\beta_2)\\, g^2",
    filled: `= ${H(beta2)} \\times ${P(t("exp_avg_sq_prev"))} + (1 - ${b2}) \\times ${texPower(tex(g), 2)} = ${texExact(t("exp_avg_sq"))}`,
  });
  const step = t("step");
  let v = "\\hat v_t";
  lines.push({
    rule: "\\hat m_t = \\frac{m_t}{1-\\beta_1^{\\,t}}",
    filled: `= \\frac{${tex(t("exp_avg"))}}{1 - ${texPower(b1, step)}} = ${tex(t("exp_avg_hat"))}`,
  });
  if (has("max_exp_avg_sq")) {
    lines.push({
      rule: "v^{\\max}_t = \\max(v^{\\max}_{t-1}, v_t)",
      filled: `= ${texExact(t("max_exp_avg_sq"))}`,
    });
    v = "\\hat v^{\\max}_t";
  }
  lines.push({
    rule: `${v} = \\frac{${has("max_exp_avg_sq") ? "v^{\\max}_t" : "v_t"}}{1-\\beta_2^{\\,t}}`,
    filled: `= \\frac{${tex(has("max_exp_avg_sq") ? t("max_exp_avg_sq") : t("exp_avg_sq"))}}{1 - ${texPower(b2, step)}} = ${tex(t("exp_avg_sq_hat"))}`,
  });
  const eps = hyperNumber(u, "eps");
  const [mHat, vHat] = [t("exp_avg_hat"), t("exp_avg_sq_hat")];
  lines.push({
    rule: `${p} \\leftarrow ${p} - \\eta\\, \\frac{\\hat m_t}{\\sqrt{${v}} + \\epsilon}`,
    filled:
      `= ${tex(decayed)} - ${H(lr)} \\times \\frac{${tex(mHat)}}{\\sqrt{${tex(vHat)}} + ${texHyper(eps)}}` +
      ` = ${texExact(t("param"))}`,
  });
  const real = (pick: (x: number) => number) =>
    pick(decayed) - (pick(lr) * pick(mHat)) / (Math.sqrt(pick(vHat)) + eps);
  return { lines, real, first: step === 1 };
}

/**
 * The update of `u`'s first element, in symbols and the server's numbers; null when the
 * server could not replay this optimizer's step (no terms) or the parameter had no grad.
 */
export function updateFormula(
  u: ParamUpdate,
  stateKeys: readonly string[] = [],
): UpdateFormula | null {
  if (!u.grad || u.terms.length === 0) return null;
  const terms = new Map(u.terms.map((term) => [term.key, term.value]));
  const has = (key: TermKey) => terms.has(key);
  const t: Term = (key) => firstOf(terms.get(key)) ?? Number.NaN;
  const symbol = paramSymbol(u.name, u.before.shape);
  const rule = has("exp_avg") ? adamLines(u, t, has, symbol) : sgdLines(u, t, has, symbol);
  const shownInputs: number[] = [];
  const decimal = rule.real((x) => {
    shownInputs.push(x);
    return shownValue(x);
  });
  const size = u.before.shape.reduce((a, b) => a * b, 1);
  const wire = {
    before: firstWire(u.before),
    grad: firstWire(u.grad),
    after: firstWire(u.after),
    lr: hyperNumber(u, "lr"),
  };
  return {
    name: u.name,
    element: size === 1 ? "" : `[${u.before.shape.map(() => 0).join(", ")}]`,
    symbol,
    wire,
    lines: rule.lines,
    torch: elementOf(u.after),
    replayed: has("param") ? t("param") : null,
    sameBits: u.same_bits,
    exact: rule.real((x) => x),
    decimal,
    decimalShown: decimalText(decimal),
    shownRounding: roundingOf(shownInputs),
    first: rule.first,
    state: stateKeys.flatMap((key) => {
      const value = firstOf(u.state[key]);
      return value === null ? [] : [{ key, value }];
    }),
  };
}
