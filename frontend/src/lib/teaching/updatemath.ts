// The update rule of optimizer.step() as LaTeX with this step's numbers, three ways (pure):
// torch's float32 result, our float32 re-computation of it (same ops, same order), and
// plain arithmetic — on torch's exact float32 inputs and on the rounded digits the panel shows.
import { f32 } from "./float32";
import { emulateStep, readSettings } from "./optimizers";
import type { ElementState, Emulation, Hyper, PriorSource, Settings } from "./optimizers";
import type { ParamUpdate, WireFloat } from "../wire/protocol";
import { decodeFloat } from "./tensor";
import {
  decimalText,
  roundingOf,
  shownValue,
  tex,
  texExact,
  texHyper,
  texPower,
  ulpDistance,
} from "./texnum";
import type { Rounding } from "./texnum";

export interface FormulaLine {
  /** The rule in symbols. */
  rule: string;
  /** The same with this step's numbers, ending in the value torch (or we) computed. */
  filled: string;
}

export interface StateCheck {
  key: "momentum_buffer" | "exp_avg" | "exp_avg_sq";
  emulated: number;
  torch: number;
  ulps: number;
}

export interface UpdateFormula {
  name: string;
  /** The element written out: "" for a one-element parameter, else "[0]" / "[0, 0]". */
  element: string;
  /** The received values, untouched, for data- attributes and tests. */
  wire: { before: WireFloat; grad: WireFloat; after: WireFloat; lr: number };
  settings: Settings;
  emulation: Emulation;
  lines: FormulaLine[];
  /** torch's new value, our float32 re-computation, and the float32 steps between them. */
  torch: number;
  emulated: number;
  ulps: number;
  /** Real arithmetic on torch's float32 inputs, and on the digits shown (as text). */
  exact: number;
  decimal: number;
  decimalShown: string;
  /** How the digits shown (and used for `decimal`) were rounded. */
  shownRounding: Rounding | null;
  /** The symbol of the element in the formulas: w, W_{1,1}, b, b_1 or θ. */
  symbol: string;
  /** The optimizer state we computed, compared with the state torch kept. */
  checks: StateCheck[];
  prior: PriorSource;
}

/** The inputs of the real-number rule: exact float32s, or the digits the panel shows. */
interface RealInputs {
  w: number;
  g: number;
  bufPrev: number | null;
  buf: number | null;
  mPrev: number | null;
  vPrev: number | null;
  m: number;
  v: number;
}

/** The update in real arithmetic (no float32 rounding): what the formula says. */
function realStep(s: Settings, e: Emulation, x: RealInputs): number {
  if (s.kind === "sgd" && e.kind === "sgd") {
    let g = s.maximize ? -x.g : x.g;
    if (s.weightDecay) g += s.weightDecay * x.w;
    let direction = g;
    if (s.momentum) {
      let buf: number;
      if (e.prior === "initial") buf = g;
      else if (e.prior === "previous") buf = s.momentum * (x.bufPrev ?? 0) + (1 - s.dampening) * g;
      else buf = x.buf ?? Number.NaN;
      direction = s.nesterov ? g + s.momentum * buf : buf;
    }
    return x.w - s.lr * direction;
  }
  if (s.kind === "adam" && e.kind === "adam") {
    let w = x.w;
    let g = s.maximize ? -x.g : x.g;
    if (s.weightDecay) {
      if (s.decoupled) w *= 1 - s.lr * s.weightDecay;
      else g += s.weightDecay * x.w;
    }
    let m = x.m;
    let v = x.v;
    if (x.mPrev !== null && x.vPrev !== null) {
      m = s.beta1 * x.mPrev + (1 - s.beta1) * g;
      v = s.beta2 * x.vPrev + (1 - s.beta2) * g * g;
    }
    const mHat = m / e.biasCorrection1;
    const vHat = v / e.biasCorrection2;
    return w - (s.lr * mHat) / (Math.sqrt(vHat) + s.eps);
  }
  return Number.NaN;
}

function first(values: (WireFloat | number)[] | null | undefined): WireFloat {
  return (values?.[0] ?? "NaN") as WireFloat;
}

function stateOf(state: ParamUpdate["state"] | undefined): ElementState {
  const out: ElementState = {};
  if (!state) return out;
  for (const key of ["momentum_buffer", "exp_avg", "exp_avg_sq", "step"] as const) {
    const value = state[key];
    if (value === undefined) continue;
    const n = typeof value === "object" ? decodeFloat(first(value.values)) : decodeFloat(value);
    out[key] = f32(n);
  }
  return out;
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

function sgdLines(
  s: Settings & { kind: "sgd" },
  e: Emulation & { kind: "sgd" },
  p: string,
  w: number,
  grad: number,
  after: number,
): FormulaLine[] {
  const lines: FormulaLine[] = [];
  const lr = H(s.lr);
  if (s.maximize) lines.push({ rule: "g \\leftarrow -g", filled: `= ${texExact(-grad)}` });
  if (s.weightDecay) {
    lines.push({
      rule: `g \\leftarrow g + \\lambda\\, ${p}`,
      filled: `= ${tex(s.maximize ? -grad : grad)} + ${H(s.weightDecay)} \\times ${P(w)} = ${texExact(e.g)}`,
    });
  }
  let symbol = "g";
  if (s.momentum) {
    const mu = H(s.momentum);
    if (e.prior === "initial") {
      lines.push({ rule: `${BUF}_1 = g`, filled: `= ${texExact(e.buf ?? Number.NaN)}` });
    } else if (e.prior === "previous") {
      const damp = s.dampening ? `(1 - ${texHyper(s.dampening)}) \\times ` : "";
      lines.push({
        rule: `${BUF}_t = \\mu\\, ${BUF}_{t-1} + ${s.dampening ? "(1-\\tau)\\," : ""}g`,
        filled: `= ${mu} \\times ${P(e.bufPrev ?? Number.NaN)} + ${damp}${P(e.g)} = ${texExact(e.buf ?? Number.NaN)}`,
      });
    } else {
      lines.push({
        rule: `${BUF}_t = \\mu\\, ${BUF}_{t-1} + g`,
        filled: `= ${texExact(e.buf ?? Number.NaN)}`,
      });
    }
    symbol = `${BUF}_t`;
    if (s.nesterov) {
      lines.push({
        rule: `d = g + \\mu\\, ${BUF}_t`,
        filled: `= ${tex(e.g)} + ${mu} \\times ${P(e.buf ?? Number.NaN)} = ${texExact(e.direction)}`,
      });
      symbol = "d";
    }
  }
  lines.push({
    rule: `${p} \\leftarrow ${p} - \\eta\\, ${symbol}`,
    filled: `= ${tex(w)} - ${lr} \\times ${P(e.direction)} = ${texExact(after)}`,
  });
  return lines;
}

function adamLines(
  s: Settings & { kind: "adam" },
  e: Emulation & { kind: "adam" },
  p: string,
  w: number,
  grad: number,
  after: number,
): FormulaLine[] {
  const lines: FormulaLine[] = [];
  const [b1, b2, lr] = [texHyper(s.beta1), texHyper(s.beta2), H(s.lr)];
  if (s.maximize) lines.push({ rule: "g \\leftarrow -g", filled: `= ${texExact(-grad)}` });
  if (s.weightDecay && s.decoupled) {
    lines.push({
      rule: `${p} \\leftarrow ${p}\\,(1 - \\eta\\lambda)`,
      filled: `= ${tex(w)} \\times (1 - ${lr} \\times ${H(s.weightDecay)}) = ${texExact(e.decayed)}`,
    });
  } else if (s.weightDecay) {
    lines.push({
      rule: `g \\leftarrow g + \\lambda\\, ${p}`,
      filled: `= ${tex(s.maximize ? -grad : grad)} + ${H(s.weightDecay)} \\times ${P(w)} = ${texExact(e.g)}`,
    });
  }
  const t = e.step;
  const mRule = "m_t = \\beta_1 m_{t-1} + (1-\\beta_1)\\, g";
  const vRule = "v_t = \\beta_2 v_{t-1} + (1-\\beta_2)\\, g^2";
  if (e.mPrev !== null && e.vPrev !== null) {
    lines.push({
      rule: mRule,
      filled: `= ${H(s.beta1)} \\times ${P(e.mPrev)} + (1 - ${b1}) \\times ${P(e.g)} = ${texExact(e.m)}`,
    });
    lines.push({
      rule: vRule,
      filled: `= ${H(s.beta2)} \\times ${P(e.vPrev)} + (1 - ${b2}) \\times ${texPower(tex(e.g), 2)} = ${texExact(e.v)}`,
    });
  } else {
    lines.push({ rule: mRule, filled: `= ${texExact(e.m)}` });
    lines.push({ rule: vRule, filled: `= ${texExact(e.v)}` });
  }
  lines.push({
    rule: "\\hat m_t = \\frac{m_t}{1-\\beta_1^{\\,t}}",
    filled: `= \\frac{${tex(e.m)}}{1 - ${texPower(b1, t)}} = ${tex(e.mHat)}`,
  });
  lines.push({
    rule: "\\hat v_t = \\frac{v_t}{1-\\beta_2^{\\,t}}",
    filled: `= \\frac{${tex(e.v)}}{1 - ${texPower(b2, t)}} = ${tex(e.vHat)}`,
  });
  lines.push({
    rule: `${p} \\leftarrow ${p} - \\eta\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}`,
    filled:
      `= ${tex(e.decayed)} - ${lr} \\times \\frac{${tex(e.mHat)}}{\\sqrt{${tex(e.vHat)}} + ${texHyper(s.eps)}}` +
      ` = ${texExact(after)}`,
  });
  return lines;
}

export interface UpdateContext {
  /** The optimizer's class: "SGD", "Adam", "AdamW". */
  cls: string;
  /** The state this parameter had before the step, when a capture of it is at hand. */
  prior: ParamUpdate["state"] | null;
  /** True when this is known to be the optimizer's first step for the parameter. */
  first: boolean;
}

/** The update of `u`'s first element, in symbols and numbers (null for an unknown optimizer). */
export function updateFormula(u: ParamUpdate, ctx: UpdateContext): UpdateFormula | null {
  const settings = readSettings(ctx.cls, u.hyper as Hyper);
  if (!settings || !u.grad) return null;
  const wire = {
    before: first(u.before.values),
    grad: first(u.grad.values),
    after: first(u.after.values),
    lr: settings.lr,
  };
  const w = f32(decodeFloat(wire.before));
  const grad = f32(decodeFloat(wire.grad));
  const torch = f32(decodeFloat(wire.after));
  const after = stateOf(u.state);
  const prior = ctx.prior ? stateOf(ctx.prior) : null;
  const isFirst = ctx.first || (settings.kind === "adam" && after.step === 1);
  const emulation = emulateStep(settings, {
    before: w,
    grad,
    after,
    prior,
    first: isFirst,
    torchAfter: torch,
  });
  const checks: StateCheck[] = [];
  const check = (key: StateCheck["key"], emulated: number | null) => {
    const value = after[key];
    if (emulated === null || value === undefined) return;
    checks.push({ key, emulated, torch: value, ulps: ulpDistance(emulated, value) });
  };
  if (emulation.kind === "sgd" && emulation.prior !== "unknown")
    check("momentum_buffer", emulation.buf);
  if (emulation.kind === "adam" && emulation.prior !== "unknown") {
    check("exp_avg", emulation.m);
    check("exp_avg_sq", emulation.v);
  }
  const real = (pick: (x: number) => number): number => {
    const e = emulation;
    return realStep(settings, e, {
      w: pick(w),
      g: pick(grad),
      bufPrev: e.kind === "sgd" && e.bufPrev !== null ? pick(e.bufPrev) : null,
      buf: e.kind === "sgd" && e.buf !== null ? pick(e.buf) : null,
      mPrev: e.kind === "adam" && e.mPrev !== null ? pick(e.mPrev) : null,
      vPrev: e.kind === "adam" && e.vPrev !== null ? pick(e.vPrev) : null,
      m: e.kind === "adam" ? pick(e.m) : Number.NaN,
      v: e.kind === "adam" ? pick(e.v) : Number.NaN,
    });
  };
  const exact = real((x) => x);
  const shownInputs: number[] = [];
  const decimal = real((x) => {
    shownInputs.push(x);
    return shownValue(x);
  });
  const shape = u.before.shape;
  const symbol = paramSymbol(u.name, shape);
  const lines =
    settings.kind === "sgd" && emulation.kind === "sgd"
      ? sgdLines(settings, emulation, symbol, w, grad, torch)
      : settings.kind === "adam" && emulation.kind === "adam"
        ? adamLines(settings, emulation, symbol, w, grad, torch)
        : [];
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    name: u.name,
    element: size === 1 ? "" : `[${shape.map(() => 0).join(", ")}]`,
    wire,
    settings,
    emulation,
    lines,
    torch,
    emulated: emulation.after,
    ulps: ulpDistance(emulation.after, torch),
    exact,
    decimal,
    decimalShown: decimalText(decimal),
    shownRounding: roundingOf(shownInputs),
    symbol,
    checks,
    prior: emulation.prior,
  };
}
