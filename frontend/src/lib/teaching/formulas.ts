// The loss, ∂loss/∂ŷ and the chain rule to the last layer, as LaTeX filled with this run's
// numbers and checked against what torch computed (pure). The update rule is in update.ts.
import type {
  BackwardCapture,
  ForwardCapture,
  GraphEvent,
  LossCapture,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { decodeFloat, decodeValues } from "../util/tensor";
import { tex, texExact, ulpDistance } from "./texnum";

/** How many terms of a sum a formula writes out before "+ ⋯". */
export const SHOWN_TERMS = 3;

export type LossKind = "mse" | "l1" | "cross_entropy";

/** The criterion's kind from its class name (null for one the panels do not explain). */
export function lossKind(cls: string): LossKind | null {
  if (cls === "MSELoss") return "mse";
  if (cls === "L1Loss") return "l1";
  if (cls === "CrossEntropyLoss") return "cross_entropy";
  return null;
}

/** A plain matrix view of a wire tensor: rows × cols (a vector is one column). */
export interface Matrix {
  rows: number;
  cols: number;
  at: (i: number, j: number) => number;
}

/** The tensor as rows × cols float32 numbers (null when only a summary was sent). */
export function matrixOf(t: TensorValue | null | undefined): Matrix | null {
  const values = decodeValues(t);
  if (!t || !values) return null;
  const rows = t.shape[0] ?? 1;
  const cols = rows ? values.length / rows : 0;
  return { rows, cols, at: (i, j) => Math.fround(values[i * cols + j] ?? Number.NaN) };
}

const softmax = (z: number[]): number[] => {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

// ---------------------------------------------------------------- the loss

export interface LossFormula {
  kind: LossKind;
  n: number;
  /** The definition, then the first terms with this batch's numbers, then the result. */
  definition: string;
  filled: string;
  /** What torch computed (float32). */
  torch: number;
  /** The same formula in double precision on torch's float32 ŷ and y. */
  exact: number;
  /** float32 steps between torch's loss and `exact` rounded to float32. */
  ulps: number;
}

function lossTerm(
  kind: LossKind,
  yPred: Matrix,
  y: Matrix,
  i: number,
  j: number,
): { tex: string; value: number } {
  if (kind === "cross_entropy") {
    const z = Array.from({ length: yPred.cols }, (_, c) => yPred.at(i, c));
    const label = y.at(i, 0);
    // The sum adds log p; the minus sign stands in front of 1/n.
    const p = softmax(z)[label] ?? Number.NaN;
    const zs = z.map((v) => `e^{${tex(v)}}`).join(" + ");
    return { tex: `\\log\\frac{e^{${tex(z[label] ?? Number.NaN)}}}{${zs}}`, value: -Math.log(p) };
  }
  const a = yPred.at(i, j);
  const b = y.at(i, j);
  const diff = `${tex(a)} - ${tex(b, true)}`;
  if (kind === "l1") return { tex: `\\lvert ${diff} \\rvert`, value: Math.abs(a - b) };
  return { tex: `(${diff})^2`, value: (a - b) ** 2 };
}

const DEFINITIONS: Record<LossKind, string> = {
  mse: "\\text{loss} = \\frac{1}{n}\\sum_{i=1}^{n} (\\hat y_i - y_i)^2",
  l1: "\\text{loss} = \\frac{1}{n}\\sum_{i=1}^{n} \\lvert \\hat y_i - y_i \\rvert",
  cross_entropy:
    "\\text{loss} = -\\frac{1}{n}\\sum_{i=1}^{n} \\log \\frac{e^{z_{i,y_i}}}{\\sum_j e^{z_{i,j}}}",
};

/** The loss with this batch's numbers (null until the loss phase ran, or for a summary). */
export function lossFormula(
  criterion: string,
  capture: LossCapture | null | undefined,
  graph: GraphEvent | null,
  loss: WireFloat | null,
): LossFormula | null {
  const kind = lossKind(criterion);
  const node = graph?.tensors.y_pred;
  if (!kind || !capture || !node || loss === null) return null;
  const yPred = matrixOf(capture.node_values[node]);
  const y = matrixOf(capture.y);
  if (!yPred || !y || y.rows !== yPred.rows || yPred.rows === 0) return null;
  const n = yPred.rows;
  const elements = kind === "cross_entropy" ? n : n * yPred.cols;
  let sum = 0;
  const shown: string[] = [];
  for (let i = 0; i < n; i++) {
    const cols = kind === "cross_entropy" ? 1 : yPred.cols;
    for (let j = 0; j < cols; j++) {
      const term = lossTerm(kind, yPred, y, i, j);
      sum += term.value;
      if (shown.length < SHOWN_TERMS) shown.push(term.tex);
    }
  }
  const exact = sum / elements;
  const torch = Math.fround(decodeFloat(loss));
  const sign = kind === "cross_entropy" ? "-" : "";
  const more = elements > shown.length ? " + \\cdots" : "";
  const filled =
    `= ${sign}\\frac{1}{${elements}}\\Big[${shown.join(" + ")}${more}\\Big]` +
    ` = ${texExact(torch)}`;
  return {
    kind,
    n: elements,
    definition: DEFINITIONS[kind],
    filled,
    torch,
    exact,
    ulps: ulpDistance(Math.fround(exact), torch),
  };
}

// ---------------------------------------------------------------- ∂loss/∂ŷ

/** The gradient backward() sent into the node that made y_pred: torch's ∂loss/∂ŷ. */
export function gradientIntoNode(
  graph: GraphEvent | null,
  backward: BackwardCapture | null | undefined,
  node: string | undefined,
): TensorValue | null {
  if (!graph || !backward || !node) return null;
  for (const edge of graph.edges) {
    if (edge.target !== node) continue;
    const sent = backward.sent[edge.source]?.[edge.slot];
    if (sent) return sent;
  }
  return null;
}

export interface OutputGradRow {
  /** "3" or "3,1" (1-based, as the formulas write indices). */
  label: string;
  computed: number;
  torch: number;
  /** float32 steps between them (0: the same bits). */
  ulps: number;
}

export interface OutputGradFormula {
  kind: LossKind;
  definition: string;
  /** One filled line per shown element. */
  lines: string[];
  rows: OutputGradRow[];
  /** True when `computed` follows torch's own float32 steps (MSE, L1), not just the math. */
  emulated: boolean;
  maxUlps: number;
}

const GRAD_DEFINITIONS: Record<LossKind, string> = {
  mse: "\\frac{\\partial\\,\\text{loss}}{\\partial \\hat y_i} = \\frac{2}{n}(\\hat y_i - y_i)",
  l1: "\\frac{\\partial\\,\\text{loss}}{\\partial \\hat y_i} = \\frac{1}{n}\\operatorname{sign}(\\hat y_i - y_i)",
  cross_entropy:
    "\\frac{\\partial\\,\\text{loss}}{\\partial z_{i,j}} = \\frac{1}{n}\\big(\\operatorname{softmax}(z_i)_j - [\\,j = y_i\\,]\\big)",
};

/** ∂loss/∂ŷ for the first elements, redone here and compared with what torch sent. */
export function outputGradFormula(
  criterion: string,
  loss: LossCapture | null | undefined,
  backward: BackwardCapture | null | undefined,
  graph: GraphEvent | null,
): OutputGradFormula | null {
  const kind = lossKind(criterion);
  const node = graph?.tensors.y_pred;
  if (!kind || !loss || !node) return null;
  const yPred = matrixOf(loss.node_values[node]);
  const y = matrixOf(loss.y);
  const sent = matrixOf(gradientIntoNode(graph, backward, node));
  if (!yPred || !y || !sent || sent.rows !== yPred.rows) return null;
  const n = kind === "cross_entropy" ? yPred.rows : yPred.rows * yPred.cols;
  const rows: OutputGradRow[] = [];
  const lines: string[] = [];
  const perRow = kind === "cross_entropy" ? yPred.cols : 1;
  const count = Math.min(SHOWN_TERMS * perRow, yPred.rows * yPred.cols);
  for (let k = 0; k < count; k++) {
    const i = Math.floor(k / yPred.cols);
    const j = k % yPred.cols;
    const a = yPred.at(i, j);
    let computed: number;
    let line: string;
    const label = yPred.cols > 1 ? `${i + 1},${j + 1}` : `${i + 1}`;
    if (kind === "mse") {
      // mse_loss_backward: (2/n)·(ŷ − y)·grad_output, each step rounded to float32.
      const b = y.at(i, j);
      computed = Math.fround(Math.fround(Math.fround(2 / n) * Math.fround(a - b)) * 1);
      line = `\\tfrac{2}{${n}}(${tex(a)} - ${tex(b, true)})`;
    } else if (kind === "l1") {
      // mean's backward gives 1/n (float32); abs's multiplies by sign(ŷ − y).
      const b = y.at(i, j);
      computed = Math.fround(Math.sign(Math.fround(a - b)) * Math.fround(1 / n));
      line = `\\tfrac{1}{${n}}\\operatorname{sign}(${tex(a)} - ${tex(b, true)})`;
    } else {
      const z = Array.from({ length: yPred.cols }, (_, c) => yPred.at(i, c));
      const target = y.at(i, 0) === j ? 1 : 0;
      computed = ((softmax(z)[j] ?? Number.NaN) - target) / n;
      line = `\\tfrac{1}{${n}}(\\operatorname{softmax}(${z.map((v) => tex(v)).join(", ")})_{${j + 1}} - ${target})`;
    }
    const torch = sent.at(i, j);
    const name = kind === "cross_entropy" ? `z_{${label}}` : `\\hat y_{${label}}`;
    lines.push(
      `\\frac{\\partial\\,\\text{loss}}{\\partial ${name}} = ${line} = ${texExact(torch)}`,
    );
    rows.push({ label, computed, torch, ulps: ulpDistance(Math.fround(computed), torch) });
  }
  return {
    kind,
    definition: GRAD_DEFINITIONS[kind],
    lines,
    rows,
    emulated: kind !== "cross_entropy",
    maxUlps: Math.max(0, ...rows.map((r) => r.ulps)),
  };
}

// ---------------------------------------------------------------- chain rule to the last layer

export interface ChainFormula {
  /** "linear.weight" */
  param: string;
  /** The element written out: "" for a single number, else "[0, 0]". */
  element: string;
  definition: string;
  filled: string;
  /** Σ in double precision over torch's float32 factors. */
  exact: number;
  /** What backward() sent into this parameter's AccumulateGrad: this pass's gradient. */
  torch: number;
  ulps: number;
}

export interface ChainRule {
  /** The Linear module that produced ŷ ("linear", "layers.2") and its input's tensor key. */
  module: string;
  input: string;
  weight: ChainFormula | null;
  bias: ChainFormula | null;
}

function sentTo(graph: GraphEvent, backward: BackwardCapture, param: string): Matrix | null {
  return matrixOf(gradientIntoNode(graph, backward, `AccumulateGrad:${param}`));
}

/**
 * weight.grad = Σᵢ ∂loss/∂ŷᵢ · xᵢ and bias.grad = Σᵢ ∂loss/∂ŷᵢ for the nn.Linear whose output
 * is ŷ (the first element of each), with the real terms, checked against torch.
 */
export function chainRule(
  forward: ForwardCapture | null | undefined,
  backward: BackwardCapture | null | undefined,
  graph: GraphEvent | null,
): ChainRule | null {
  if (!forward || !backward || !graph) return null;
  const calls = forward.calls.filter((c) => c.cls === "Linear" && c.output === "y_pred");
  const call = calls.sort((a, b) => b.depth - a.depth)[0];
  if (!call?.input) return null;
  const x = matrixOf(forward.tensors[call.input]);
  const g = matrixOf(gradientIntoNode(graph, backward, graph.tensors.y_pred));
  if (!x || !g || x.rows !== g.rows) return null;
  const xName = call.input === "x" ? "x" : "h";
  const single = x.cols === 1 && g.cols === 1;
  const dy = "\\frac{\\partial\\,\\text{loss}}{\\partial \\hat y_i}";

  const build = (param: string, factor: ((i: number) => number) | null): ChainFormula | null => {
    const torchGrad = sentTo(graph, backward, param);
    if (!torchGrad) return null;
    let exact = 0;
    const terms: string[] = [];
    for (let i = 0; i < g.rows; i++) {
      const gi = g.at(i, 0);
      const fi = factor ? factor(i) : 1;
      exact += gi * fi;
      if (terms.length < SHOWN_TERMS) {
        terms.push(factor ? `${tex(gi, true)} \\cdot ${tex(fi, true)}` : tex(gi, true));
      }
    }
    const more = g.rows > terms.length ? " + \\cdots" : "";
    const torch = torchGrad.at(0, 0);
    const isWeight = factor !== null;
    const element = single ? "" : isWeight ? "[0, 0]" : "[0]";
    const symbol = isWeight ? (single ? "w" : "W_{1,1}") : single ? "b" : "b_1";
    const xi = single ? `${xName}_i` : `${xName}_{i,1}`;
    const dyi = single ? dy : "\\frac{\\partial\\,\\text{loss}}{\\partial \\hat y_{i,1}}";
    const definition = isWeight
      ? `\\frac{\\partial\\,\\text{loss}}{\\partial ${symbol}} = \\sum_{i=1}^{${g.rows}} ${dyi}\\, ${xi}`
      : `\\frac{\\partial\\,\\text{loss}}{\\partial ${symbol}} = \\sum_{i=1}^{${g.rows}} ${dyi}`;
    return {
      param,
      element,
      definition,
      filled: `= ${terms.join(" + ")}${more} = ${texExact(torch)}`,
      exact,
      torch,
      ulps: ulpDistance(Math.fround(exact), torch),
    };
  };

  return {
    module: call.module,
    input: call.input,
    weight: build(`${call.module}.weight`, (i) => x.at(i, 0)),
    bias: build(`${call.module}.bias`, null),
  };
}

/** The forward relation of that layer, for the text above the chain rule. */
export function layerRelation(rule: ChainRule, single: boolean): string {
  const xName = rule.input === "x" ? "x" : "h";
  return single
    ? `\\hat y_i = w\\,${xName}_i + b \\;\\Rightarrow\\; \\frac{\\partial \\hat y_i}{\\partial w} = ${xName}_i,\\; \\frac{\\partial \\hat y_i}{\\partial b} = 1`
    : `\\hat y_i = W ${xName}_i + b \\;\\Rightarrow\\; \\frac{\\partial \\hat y_{i,1}}{\\partial W_{1,1}} = ${xName}_{i,1},\\; \\frac{\\partial \\hat y_{i,1}}{\\partial b_1} = 1`;
}
