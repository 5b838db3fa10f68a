// The formulas against torch: every number they claim is checked with recorded real runs.
import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents, TEACHING } from "../__fixtures__/load";
import type { Fixture, TeachingName } from "../__fixtures__/load";
import { chainRule, lossFormula, outputGradFormula } from "./formulas";
import { paramSymbol, updateFormula } from "./update";
import type {
  BackwardCapture,
  ForwardCapture,
  GraphEvent,
  LossCapture,
  ParamUpdate,
  PhaseEvent,
  SessionEvent,
  StepCapture,
  UpdateTerm,
} from "../wire/protocol";
import { shortest32, shownText } from "./texnum";

const teaching = (name: TeachingName): Fixture => loadFixture(`teaching-${name}`);

interface Run {
  session: SessionEvent;
  graph: GraphEvent;
  phases: PhaseEvent[];
}

function run(fixture: Fixture): Run {
  const session = fixture.frames.find((f): f is SessionEvent => f.type === "session");
  const graph = fixture.frames.find((f): f is GraphEvent => f.type === "graph");
  if (!session || !graph) throw new Error("fixture lacks a session or graph frame");
  return { session, graph, phases: phaseEvents(fixture) };
}

function capture<T>(phases: PhaseEvent[], phase: PhaseEvent["phase"], iteration = 0): T {
  const event = phases.find((p) => p.phase === phase && p.iteration === iteration);
  if (!event?.capture) throw new Error(`no ${phase} capture in iteration ${iteration}`);
  return event.capture as T;
}

/** Every step of a run as the panel writes it, with the run's optimizer state keys. */
function updates(r: Run) {
  const keys = r.session.capabilities.optimizer_state;
  return r.phases
    .filter((p) => p.phase === "step")
    .flatMap((event) =>
      (event.capture as StepCapture).updates.map((u) => {
        const formula = updateFormula(u, keys);
        if (!formula) throw new Error(`no formula for ${u.name}`);
        return { iteration: event.iteration, update: u, formula };
      }),
    );
}

const termOf = (u: ParamUpdate, key: UpdateTerm["key"]): number => {
  const value = u.terms.find((t) => t.key === key)?.value;
  return typeof value === "object" ? Number(value.values?.[0]) : Number(value);
};

describe("update formulas write the terms torch computed", () => {
  for (const name of TEACHING) {
    it(`${name}: every parameter, every recorded step, ends in step()'s own result`, () => {
      const all = updates(run(teaching(name)));
      expect(all.length).toBeGreaterThan(0);
      for (const { iteration, update, formula } of all) {
        const where = `${formula.name} in iteration ${iteration}`;
        // The server's replay gave step()'s bits; the page says so and shows that value.
        expect(update.same_bits, where).toBe(true);
        expect(formula.sameBits, where).toBe(true);
        expect(formula.replayed, where).toBe(formula.torch);
        expect(formula.lines.at(-1)?.filled.endsWith(`= ${shortest32(formula.torch)}`), where).toBe(
          true,
        );
      }
    });
  }

  it("fills the momentum and Adam lines with the state torch held before and after", () => {
    const momentum = updates(run(teaching("momentum")));
    expect(momentum.map((u) => u.formula.first)).toEqual([true, true, false, false, false, false]);
    const second = momentum[2];
    if (!second) throw new Error("no second momentum step");
    const buf = second.formula.lines.find((l) => l.rule.startsWith("\\mathrm{buf}_t"));
    expect(buf?.filled).toContain(shownText(termOf(second.update, "momentum_buffer_prev")));
    expect(buf?.filled.endsWith(shortest32(termOf(second.update, "momentum_buffer")))).toBe(true);
    expect(second.formula.state.map((s) => s.key)).toEqual(["momentum_buffer"]);

    const adam = updates(run(teaching("adam")));
    const last = adam.at(-1);
    if (!last) throw new Error("no Adam step");
    expect(last.formula.first).toBe(false);
    expect(adam[0]?.formula.first).toBe(true);
    const v = last.formula.lines.find((l) => l.rule.startsWith("v_t"));
    expect(v?.filled).toContain(shownText(termOf(last.update, "exp_avg_sq_prev")));
    expect(v?.filled.endsWith(shortest32(termOf(last.update, "exp_avg_sq")))).toBe(true);
    // The bias correction's power is the step torch counted.
    expect(last.formula.lines.find((l) => l.rule.startsWith("\\hat m_t"))?.filled).toContain(
      `^{${termOf(last.update, "step")}}`,
    );
    expect(last.formula.state.map((s) => s.key)).toEqual(["step", "exp_avg", "exp_avg_sq"]);
  });

  it("writes AdamW's decoupled decay first, on the parameter", () => {
    const [first] = updates(run(teaching("adamw")));
    if (!first) throw new Error("no AdamW step");
    expect(first.formula.lines[0]?.rule).toBe("W_{1,1} \\leftarrow W_{1,1}\\,(1 - \\eta\\lambda)");
    expect(
      first.formula.lines[0]?.filled.endsWith(shortest32(termOf(first.update, "decayed_param"))),
    ).toBe(true);
  });

  it("has no formula where the server could not replay the step", () => {
    const [first] = updates(run(teaching("sgd")));
    if (!first) throw new Error("no SGD step");
    expect(updateFormula({ ...first.update, terms: [], same_bits: null })).toBeNull();
  });

  it("the default linear run: torch 1.5797346, the 4-decimal digits give 1.579777", () => {
    const phases = phaseEvents(loadFixture("linear"));
    const step = capture<StepCapture>(phases, "step");
    const weight = step.updates.find((u) => u.name === "linear.weight");
    if (!weight) throw new Error("no weight update");
    const f = updateFormula(weight);
    expect(f?.wire.after).toBe(1.5797346);
    expect(f?.decimalShown).toBe("1.579777");
    // Real arithmetic on the float32 inputs lands between: float32 then rounds it.
    expect(Math.abs((f?.exact ?? 0) - 1.5797346)).toBeLessThan(1e-7);
    expect(f?.lines.at(-1)?.filled).toBe("= 0.1447 - 0.01 \\times (-143.5077) = 1.5797346");
  });

  it("writes each parameter with its own symbol: w for a weight, b for a bias", () => {
    const phases = phaseEvents(loadFixture("linear"));
    const step = capture<StepCapture>(phases, "step");
    const rules = (name: string) => {
      const u = step.updates.find((x) => x.name === name);
      if (!u) throw new Error(`no ${name} update`);
      return updateFormula(u)?.lines.map((l) => l.rule);
    };
    expect(rules("linear.weight")).toEqual(["w \\leftarrow w - \\eta\\, g"]);
    expect(rules("linear.bias")).toEqual(["b \\leftarrow b - \\eta\\, g"]);
    // In a matrix, the first element as the chain rule writes it; anything else is θ.
    expect(paramSymbol("layers.0.weight", [16, 2])).toBe("W_{1,1}");
    expect(paramSymbol("layers.0.bias", [16])).toBe("b_1");
    expect(paramSymbol("norm.weight", [4])).toBe("w_1");
    expect(paramSymbol("scale", [1])).toBe("\\theta");
  });

  it("names the momentum buffer buf, so it cannot be read as the bias b", () => {
    const all = updates(run(teaching("momentum")));
    const bias = all.find((u) => u.iteration === 1 && u.formula.name === "linear.bias")?.formula;
    expect(bias?.lines.map((l) => l.rule)).toEqual([
      "\\mathrm{buf}_t = \\mu\\, \\mathrm{buf}_{t-1} + g",
      "b \\leftarrow b - \\eta\\, \\mathrm{buf}_t",
    ]);
  });

  it("says how the digits it computed with were rounded", () => {
    const all = updates(run(teaching("adamw")));
    // AdamW's v̂ is ~0.04 and m̂ ~0.2 (4 decimals), lr 0.01: decimals; a diverged run differs.
    expect(all[0]?.formula.shownRounding).not.toBeNull();
    const sgd = updates(run(teaching("sgd")));
    expect(sgd[0]?.formula.shownRounding).toBe("decimals");
  });
});

describe("loss, ∂loss/∂ŷ and the chain rule match torch", () => {
  for (const name of ["sgd", "l1", "classify", "adamw"] as const) {
    it(`${name}`, () => {
      const r = run(teaching(name));
      const loss = capture<LossCapture>(r.phases, "loss");
      const lossEvent = r.phases.find((p) => p.phase === "loss");
      const criterion = r.session.criterion.cls;
      const lf = lossFormula(criterion, loss, r.graph, lossEvent?.loss ?? null);
      expect(lf).not.toBeNull();
      // torch sums in float32 in its own order; the double-precision mean is a step or two away.
      expect(lf?.ulps).toBeLessThanOrEqual(2);
      expect(lf?.filled).toContain(shortest32(lf?.torch ?? 0));

      const backward = capture<BackwardCapture>(r.phases, "backward");
      const og = outputGradFormula(criterion, loss, backward, r.graph);
      expect(og?.rows.length).toBeGreaterThan(0);
      // MSE and L1 are redone with torch's own float32 steps: the same bits.
      if (og?.emulated) expect(og.maxUlps).toBe(0);
      else expect(og?.maxUlps).toBeLessThanOrEqual(2);

      const forward = capture<ForwardCapture>(r.phases, "forward");
      const chain = chainRule(forward, backward, r.graph);
      expect(chain?.weight?.ulps).toBeLessThanOrEqual(2);
      expect(chain?.bias?.ulps).toBeLessThanOrEqual(2);
      // The gradient that flowed into AccumulateGrad is the .grad backward() left.
      const fills = new Map(backward.fills.map((f) => [f.param, f.value.values?.[0]]));
      expect(chain?.weight?.torch).toBe(
        Math.fround(fills.get(chain?.weight?.param ?? "") as number),
      );
    });
  }

  it("writes MSE with the batch's first terms and n", () => {
    const r = run(teaching("sgd"));
    const loss = capture<LossCapture>(r.phases, "loss");
    const lf = lossFormula("MSELoss", loss, r.graph, r.phases[1]?.loss ?? null);
    expect(lf?.kind).toBe("mse");
    expect(lf?.n).toBe(5);
    expect(lf?.filled).toMatch(/^= \\frac\{1\}\{5\}\\Big\[\(.+\)\^2 \+ .+ \+ \\cdots\\Big\] = /);
  });

  it("cross-entropy uses the class labels and logits", () => {
    const r = run(teaching("classify"));
    const og = outputGradFormula(
      "CrossEntropyLoss",
      capture<LossCapture>(r.phases, "loss"),
      capture<BackwardCapture>(r.phases, "backward"),
      r.graph,
    );
    // Two logits per point: rows 1,1 and 1,2 first; each row of softmax − one-hot sums to 0.
    expect(og?.rows.slice(0, 2).map((x) => x.label)).toEqual(["1,1", "1,2"]);
    const [a, b] = og?.rows ?? [];
    expect((a?.torch ?? 1) + (b?.torch ?? 1)).toBeCloseTo(0, 6);
  });

  it("is null before its phase ran", () => {
    const r = run(teaching("sgd"));
    expect(lossFormula("MSELoss", null, r.graph, null)).toBeNull();
    expect(outputGradFormula("MSELoss", null, null, r.graph)).toBeNull();
    expect(chainRule(null, null, r.graph)).toBeNull();
  });
});
