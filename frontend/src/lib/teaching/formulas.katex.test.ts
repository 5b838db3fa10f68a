// Every formula the panel writes must be valid LaTeX for KaTeX, whatever the numbers: small
// ones in scientific form (3.9e-4 squared was a "Double superscript"), negative, huge ones
// from a diverged run, zero, NaN and ±Infinity.
import katex from "katex";
import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import type { Fixture, TeachingName } from "../__fixtures__/load";
import { chainRule, layerRelation, lossFormula, outputGradFormula } from "./formulas";
import { exactNote, tenNote } from "./texnum";
import { updateFormula } from "./update";
import type {
  BackwardCapture,
  ForwardCapture,
  GraphEvent,
  LossCapture,
  ParamUpdate,
  PhaseEvent,
  SessionEvent,
  TensorValue,
  UpdateTerm,
  WireFloat,
} from "../wire/protocol";
import { breakable } from "./texbreak";

/** Render as the panel does (inline, regrouped to wrap) and as display math; throws on error. */
function renders(tex: string): void {
  const options = { throwOnError: true, strict: "ignore" as const };
  katex.renderToString(tex, { ...options, displayMode: true });
  katex.renderToString(breakable(tex), { ...options, displayMode: false });
}

function expectRenders(tex: string, where: string): void {
  expect(() => renders(tex), `${where}: ${tex}`).not.toThrow();
}

/** The kinds of numbers a run can produce, as the wire sends them. */
const VALUES: Record<string, WireFloat> = {
  smallPositive: 3.9e-4,
  smallNegative: -3.9e-4,
  tiny: 1.2e-30,
  large: 2.279391e19,
  largeNegative: -2.279391e19,
  zero: 0,
  nan: "NaN",
  infinity: "Infinity",
  minusInfinity: "-Infinity",
};

const tensor = (value: WireFloat, shape = [1, 1]): TensorValue => ({
  shape,
  dtype: "float32",
  values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => value),
});

type TermKey = UpdateTerm["key"];

/** Terms torch sends as Python floats; the rest are tensors of the parameter's shape. */
const SCALAR_TERMS = new Set<TermKey>([
  "lr",
  "step",
  "decay_factor",
  "bias_correction1",
  "bias_correction2",
  "step_size",
  "bias_correction2_sqrt",
]);

interface Case {
  label: string;
  hyper: ParamUpdate["hyper"];
  /** The terms the server sends for this optimizer (their values are the case's number). */
  terms: TermKey[];
}

const sgd = { lr: 0.01, momentum: 0, dampening: 0, weight_decay: 0, nesterov: false };
const adam = { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false };
const SGD_TERMS: TermKey[] = ["lr", "grad", "direction", "param"];
const ADAM_TERMS: TermKey[] = [
  "lr",
  "grad",
  "step",
  "exp_avg_prev",
  "exp_avg_sq_prev",
  "exp_avg",
  "exp_avg_sq",
  "bias_correction1",
  "bias_correction2",
  "step_size",
  "bias_correction2_sqrt",
  "exp_avg_hat",
  "exp_avg_sq_hat",
  "denom",
  "param",
];

const CASES: Case[] = [
  { label: "SGD", hyper: sgd, terms: SGD_TERMS },
  {
    label: "SGD, weight decay, maximize",
    hyper: { ...sgd, weight_decay: 1e-7, maximize: true, lr: 1e-7 },
    terms: [...SGD_TERMS, "grad_with_weight_decay"],
  },
  {
    label: "momentum, first step",
    hyper: { ...sgd, momentum: 0.9 },
    terms: [...SGD_TERMS, "momentum_buffer"],
  },
  {
    label: "momentum with dampening, Nesterov, from the previous step",
    hyper: { ...sgd, momentum: 0.9, dampening: 0.1, nesterov: true, weight_decay: 0.05 },
    terms: [...SGD_TERMS, "grad_with_weight_decay", "momentum_buffer_prev", "momentum_buffer"],
  },
  { label: "Adam", hyper: adam, terms: ADAM_TERMS },
  {
    label: "Adam with L2 weight decay, maximize",
    hyper: { ...adam, weight_decay: 1e-5, maximize: true },
    terms: [...ADAM_TERMS, "grad_with_weight_decay"],
  },
  {
    label: "Adam, hyperparameters in scientific form, AMSGrad",
    hyper: { ...adam, betas: [1e-7, 2e-9], lr: 1e-7, amsgrad: true },
    terms: [...ADAM_TERMS, "max_exp_avg_sq"],
  },
  {
    label: "AdamW",
    hyper: { ...adam, weight_decay: 0.01, decoupled_weight_decay: true },
    terms: [...ADAM_TERMS, "decay_factor", "decayed_param"],
  },
];

function update(name: string, c: Case, value: WireFloat, shape = [1, 1]): ParamUpdate {
  const terms = c.terms.map((key) => ({
    key,
    value: SCALAR_TERMS.has(key) ? (key === "step" ? 2 : value) : tensor(value, shape),
  }));
  return {
    name,
    // The weight starts elsewhere than the gradient, so both signs meet in one formula.
    before: tensor(typeof value === "number" ? -value : value, shape),
    grad: tensor(value, shape),
    after: tensor(value, shape),
    hyper: c.hyper,
    state: {},
    terms,
    kernel: "single_tensor",
    same_bits: true,
  };
}

describe("every optimizer's update formula renders in KaTeX", () => {
  for (const c of CASES) {
    for (const [kind, value] of Object.entries(VALUES)) {
      it(`${c.label}: ${kind} numbers`, () => {
        for (const name of ["linear.weight", "layers.2.bias"]) {
          const f = updateFormula(update(name, c, value));
          expect(f, `${c.label} ${name}`).not.toBeNull();
          expect(f?.lines.length).toBeGreaterThan(0);
          for (const line of f?.lines ?? []) {
            expectRenders(line.rule, `${c.label} ${name} ${kind}`);
            expectRenders(line.filled, `${c.label} ${name} ${kind}`);
          }
        }
      });
    }
  }

  it("brackets a small gradient before squaring it (Adam's v_t)", () => {
    const adamCase = CASES.find((c) => c.label === "Adam") as Case;
    const f = updateFormula(update("layers.0.weight", adamCase, 3.9e-4, [16, 2]));
    const v = f?.lines.find((l) => l.rule.startsWith("v_t"));
    expect(v?.filled).toContain("(3.900\\times10^{-4})^{2}");
    expectRenders(v?.filled ?? "", "v_t");
  });
});

// ---------------------------------------------------------------- loss, ∂loss/∂ŷ, chain rule

const teaching = (name: TeachingName): Fixture => loadFixture(`teaching-${name}`);

/** A deep copy with every tensor's values replaced: cycling through `values`. */
function refill<T>(x: T, values: WireFloat[]): T {
  let k = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.values) && Array.isArray(o.shape)) {
        return { ...o, values: o.values.map(() => values[k++ % values.length]) };
      }
      return Object.fromEntries(Object.entries(o).map(([key, val]) => [key, walk(val)]));
    }
    return v;
  };
  return walk(x) as T;
}

const capture = <T>(phases: PhaseEvent[], phase: PhaseEvent["phase"]): T =>
  phases.find((p) => p.phase === phase && p.iteration === 0)?.capture as T;

describe("the loss, ∂loss/∂ŷ and chain-rule formulas render in KaTeX", () => {
  const sets: Record<string, WireFloat[]> = {
    ...Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [k, [v]])),
    mixed: [3.9e-4, -2.5, 2.279391e19, -3.9e-4, 0, 1.2e-30, "NaN", "Infinity", 7.25],
  };
  for (const name of ["sgd", "l1", "classify"] as const) {
    for (const [kind, values] of Object.entries(sets)) {
      it(`${name}: ${kind} numbers`, () => {
        const fixture = teaching(name);
        const session = fixture.frames.find((f): f is SessionEvent => f.type === "session");
        const graph = fixture.frames.find((f): f is GraphEvent => f.type === "graph") ?? null;
        const phases = phaseEvents(fixture);
        const criterion = session?.criterion.cls ?? "";
        const original = capture<LossCapture>(phases, "loss");
        const loss = refill(original, values);
        // Class labels stay labels.
        if (criterion === "CrossEntropyLoss") loss.y = original.y;
        const backward = refill(capture<BackwardCapture>(phases, "backward"), values);
        const forward = refill(capture<ForwardCapture>(phases, "forward"), values);

        const lf = lossFormula(criterion, loss, graph, values[0] ?? 0);
        expect(lf).not.toBeNull();
        expectRenders(lf?.definition ?? "", `${name} loss`);
        expectRenders(lf?.filled ?? "", `${name} loss`);
        const og = outputGradFormula(criterion, loss, backward, graph);
        expect(og?.lines.length).toBeGreaterThan(0);
        for (const line of [og?.definition ?? "", ...(og?.lines ?? [])]) {
          expectRenders(line, `${name} ∂loss/∂ŷ`);
        }
        const chain = chainRule(forward, backward, graph);
        expect(chain?.weight).not.toBeNull();
        if (chain) expectRenders(layerRelation(chain, chain.weight?.element === ""), name);
        for (const part of [chain?.weight, chain?.bias]) {
          expectRenders(part?.definition ?? "", `${name} chain`);
          expectRenders(part?.filled ?? "", `${name} chain`);
        }
      });
    }
  }

  it("a run that diverged to NaN still renders its update", () => {
    const steps = phaseEvents(loadFixture("diverge")).filter((p) => p.phase === "step");
    const last = steps.at(-1)?.capture as { updates: ParamUpdate[] } | undefined;
    expect(last?.updates.length).toBe(2);
    for (const u of last?.updates ?? []) {
      const f = updateFormula(u);
      for (const line of f?.lines ?? []) expectRenders(line.filled, u.name);
    }
  });
});

describe("notes under the formulas", () => {
  it("write very large and very small magnitudes in scientific form", () => {
    expect(exactNote(-2.279391e19)).toBe("-2.279391e+19");
    expect(exactNote(3.9e-5)).toBe("3.9e-5");
    expect(exactNote(-143.50770568847656)).toBe("-143.5077");
    expect(tenNote(-22793910000000000000)).toBe("-2.279391e+19");
    expect(tenNote(1.5797346123456)).toBe("1.579734612");
    expect(exactNote(Number.NaN)).toBe("NaN");
    expect(exactNote(0)).toBe("0");
  });
});
