// One element of optimizer.step(), redone in float32 the way torch's single-tensor CPU code
// does it (torch/optim/sgd.py `_single_tensor_sgd`, adam.py `_single_tensor_adam`), keeping
// every intermediate value so the panels can show them (pure).
import {
  addAlpha,
  addcdiv,
  addcmul,
  addScalar,
  divScalar,
  f32,
  lerp,
  mulScalar,
  same32,
  sqrt32,
  stepFloat32,
} from "./float32";

/** A param group's hyperparameters as the wire sends them. */
export type Hyper = Record<string, number | string | boolean | (number | string)[] | null>;

/** The optimizer state of one element: what `optimizer.state[p]` holds. */
export interface ElementState {
  momentum_buffer?: number;
  exp_avg?: number;
  exp_avg_sq?: number;
  step?: number;
}

export interface SgdSettings {
  kind: "sgd";
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

export interface AdamSettings {
  kind: "adam";
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: weight decay shrinks the weight itself, outside the moments. */
  decoupled: boolean;
  maximize: boolean;
  amsgrad: boolean;
}

export type Settings = SgdSettings | AdamSettings;

function num(value: Hyper[string] | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

/** The optimizer's settings from its class name and a param group's hyperparameters. */
export function readSettings(cls: string, hyper: Hyper): Settings | null {
  const weightDecay = num(hyper.weight_decay, 0);
  const maximize = hyper.maximize === true;
  if (cls === "SGD") {
    return {
      kind: "sgd",
      lr: num(hyper.lr, Number.NaN),
      momentum: num(hyper.momentum, 0),
      dampening: num(hyper.dampening, 0),
      weightDecay,
      nesterov: hyper.nesterov === true,
      maximize,
    };
  }
  if (cls === "Adam" || cls === "AdamW") {
    const betas = Array.isArray(hyper.betas) ? hyper.betas : [];
    return {
      kind: "adam",
      lr: num(hyper.lr, Number.NaN),
      beta1: num(betas[0], 0.9),
      beta2: num(betas[1], 0.999),
      eps: num(hyper.eps, 1e-8),
      weightDecay,
      decoupled: cls === "AdamW" || hyper.decoupled_weight_decay === true,
      maximize,
      amsgrad: hyper.amsgrad === true,
    };
  }
  return null;
}

/** Where the state before the step came from. */
export type PriorSource =
  | "initial" // the first step: the state did not exist yet
  | "previous" // the previous iteration's step capture
  | "unknown"; // not captured: the step is shown from the state torch left after it

export interface SgdEmulation {
  kind: "sgd";
  settings: SgdSettings;
  /** The gradient used: grad, negated for maximize, plus weight_decay·w. */
  g: number;
  /** Momentum only: the buffer before and after, and where the one before came from. */
  bufPrev: number | null;
  buf: number | null;
  prior: PriorSource;
  /** What is multiplied by −lr: g, the buffer, or g + momentum·buffer (Nesterov). */
  direction: number;
  after: number;
}

export interface AdamEmulation {
  kind: "adam";
  settings: AdamSettings;
  step: number;
  g: number;
  /** AdamW: w·(1 − lr·weight_decay), the weight before the Adam step proper. */
  decayed: number;
  mPrev: number | null;
  vPrev: number | null;
  m: number;
  v: number;
  prior: PriorSource;
  biasCorrection1: number;
  biasCorrection2: number;
  /** m / (1 − β1^t) and v / (1 − β2^t), for display (torch folds them into the step). */
  mHat: number;
  vHat: number;
  denom: number;
  /** −1 / +1 when torch's √v was one float32 step off the correctly rounded root. */
  sqrtShift: -1 | 0 | 1;
  after: number;
}

export type Emulation = SgdEmulation | AdamEmulation;

export interface ElementInput {
  before: number;
  grad: number;
  /** The state torch left after this step (from the capture). */
  after: ElementState;
  /** The state before the step, when known. */
  prior: ElementState | null;
  /** True when this was the optimizer's first step for the parameter. */
  first: boolean;
  /** torch's new value, to pick between the neighbours of an inexact sqrt. */
  torchAfter: number;
}

function sgd(s: SgdSettings, x: ElementInput): SgdEmulation {
  const w = f32(x.before);
  let g = f32(x.grad);
  if (s.maximize) g = -g;
  if (s.weightDecay !== 0) g = addAlpha(g, w, s.weightDecay);
  let buf: number | null = null;
  let bufPrev: number | null = null;
  let prior: PriorSource = "initial";
  let direction = g;
  if (s.momentum !== 0) {
    if (x.first) {
      buf = g; // the buffer starts as a copy of the gradient
    } else if (x.prior?.momentum_buffer !== undefined) {
      prior = "previous";
      bufPrev = f32(x.prior.momentum_buffer);
      buf = addAlpha(mulScalar(bufPrev, s.momentum), g, 1 - s.dampening);
    } else {
      prior = "unknown";
      buf = f32(x.after.momentum_buffer ?? Number.NaN);
    }
    direction = s.nesterov ? addAlpha(g, buf, s.momentum) : buf;
  }
  const after = addAlpha(w, direction, -s.lr);
  return { kind: "sgd", settings: s, g, bufPrev, buf, prior, direction, after };
}

function adam(s: AdamSettings, x: ElementInput): AdamEmulation {
  let w = f32(x.before);
  let g = f32(x.grad);
  if (s.maximize) g = -g;
  const step = x.first ? 1 : (x.after.step ?? (x.prior?.step ?? 0) + 1);
  if (s.weightDecay !== 0) {
    if (s.decoupled) w = mulScalar(w, 1 - s.lr * s.weightDecay);
    else g = addAlpha(g, w, s.weightDecay);
  }
  const decayed = w;
  let prior: PriorSource = "initial";
  let mPrev: number | null = 0;
  let vPrev: number | null = 0;
  let m: number;
  let v: number;
  if (!x.first && x.prior?.exp_avg !== undefined && x.prior.exp_avg_sq !== undefined) {
    prior = "previous";
    mPrev = f32(x.prior.exp_avg);
    vPrev = f32(x.prior.exp_avg_sq);
  } else if (!x.first) {
    prior = "unknown";
    mPrev = null;
    vPrev = null;
  }
  if (mPrev !== null && vPrev !== null) {
    m = lerp(mPrev, g, 1 - s.beta1);
    v = addcmul(mulScalar(vPrev, s.beta2), g, g, 1 - s.beta2);
  } else {
    m = f32(x.after.exp_avg ?? Number.NaN);
    v = f32(x.after.exp_avg_sq ?? Number.NaN);
  }
  // Python floats (doubles), exactly as adam.py computes them.
  const biasCorrection1 = 1 - s.beta1 ** step;
  const biasCorrection2 = 1 - s.beta2 ** step;
  const stepSize = s.lr / biasCorrection1;
  const bc2Sqrt = Math.sqrt(biasCorrection2);
  const finish = (root: number) => {
    const denom = addScalar(divScalar(root, bc2Sqrt), s.eps);
    return { denom, after: addcdiv(w, m, denom, -stepSize) };
  };
  const root = sqrt32(v);
  let sqrtShift: -1 | 0 | 1 = 0;
  let result = finish(root);
  if (!same32(result.after, x.torchAfter) && root > 0 && Number.isFinite(root)) {
    for (const dir of [-1, 1] as const) {
      const other = finish(stepFloat32(root, dir));
      if (same32(other.after, x.torchAfter)) {
        sqrtShift = dir;
        result = other;
        break;
      }
    }
  }
  return {
    kind: "adam",
    settings: s,
    step,
    g,
    decayed,
    mPrev,
    vPrev,
    m,
    v,
    prior,
    biasCorrection1,
    biasCorrection2,
    mHat: m / biasCorrection1,
    vHat: v / biasCorrection2,
    denom: result.denom,
    sqrtShift,
    after: result.after,
  };
}

/** Redo one element of step() in float32; null for an optimizer this does not know. */
export function emulateStep(settings: Settings, input: ElementInput): Emulation {
  return settings.kind === "sgd" ? sgd(settings, input) : adam(settings, input);
}
