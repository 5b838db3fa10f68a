// A few sentences on what the phase that just ran did in this run, with its names and
// numbers, as translatable lines (pure). The panels translate them with i18n.
import { displayNames } from "./explain";
import type { Line } from "../util/line";
import type {
  CaptureByPhase,
  GraphEvent,
  LossChunk,
  ParamReference,
  PhaseName,
  SessionEvent,
  StepCapture,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { decodeFloat, formatNumber, formatShape, formatTensor, scalarOf } from "../util/tensor";
import { classifyLoss, classifyPosition, classifyStep, skippedOf } from "./runstate";

export interface NarrationInput {
  session: SessionEvent | null;
  graph: GraphEvent | null;
  /** The phase that ran last (null before the first) and the one that runs next. */
  phase: PhaseName | null;
  next: PhaseName;
  captures: Partial<CaptureByPhase>;
  loss: WireFloat | null;
  /** .grad before the latest phase ran (for zero_grad). */
  previousGrads: Record<string, TensorValue | null>;
  references: readonly ParamReference[];
  iteration: number;
  /** The loss of the iteration before this one, when the page has it (for "the loss rose"). */
  previousLoss?: WireFloat | null;
  /** The step() capture of the iteration before, when the page has it (for "overshoot"). */
  priorStep?: StepCapture;
  /** The line the latest phase ran at, when its event names it (a traced script's). */
  ranAt?: number | null;
  /** A traced script's process has ended: nothing runs next. */
  ended?: boolean;
}

const line = (key: Line["key"], params: Record<string, string | number> = {}): Line => ({
  key,
  params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
});

/** A number or a short tensor, for prose. */
function short(t: TensorValue | null | undefined): string {
  if (!t) return "None";
  const s = scalarOf(t);
  return s === null ? formatTensor(t, 2) : formatNumber(s);
}

/** The first element's value (what the element name below points at). */
function firstValue(t: TensorValue | null | undefined): string {
  if (!t) return "None";
  return formatNumber(decodeFloat(t.values?.[0] ?? t.summary?.first[0]));
}

/** "weight" for a one-number parameter, else its first element: "layers.0.weight[0, 0]". */
function elementName(name: string, t: TensorValue | null | undefined): string {
  if (!t || t.shape.reduce((a, b) => a * b, 1) === 1) return name;
  return `${name}[${t.shape.map(() => 0).join(", ")}]`;
}

function lineOf(session: SessionEvent | null, phase: PhaseName): number {
  return session?.source.phase_lines[phase] ?? 0;
}

function codeOf(session: SessionEvent | null, phase: PhaseName): string {
  const n = lineOf(session, phase);
  return (session?.source.lines[n - 1] ?? "").trim();
}

/** The step() capture of the iteration before `iteration`, from the frame's step log. */
export function priorStepOf(
  log: readonly { iteration: number; capture: StepCapture }[],
  iteration: number,
): StepCapture | undefined {
  return log.find((r) => r.iteration === iteration - 1)?.capture;
}

/** The loss of the iteration before `iteration`, from the run's kept losses (null: none). */
export function lossBefore(losses: LossChunk, iteration: number): WireFloat | null {
  return losses.values[iteration - 1 - losses.first] ?? null;
}

/** The sentences for the latest phase, then one saying which line runs next. */
export function narrate(input: NarrationInput): Line[] {
  const { session, phase } = input;
  if (!session) return [];
  const names = displayNames(session);
  const nameOf = (n: string) => names.get(n) ?? n;
  const first = session.parameters[0] ?? "";
  const lines: Line[] = [];
  const at = (p: PhaseName) => (p === phase && input.ranAt ? input.ranAt : lineOf(session, p));
  const c = input.captures;
  switch (phase) {
    case null:
      if (classifyPosition(session) === "resumed") {
        // Part-way through a run (rewind, reset to a point, branch, reload): say where it
        // stands, and that a graph still on screen belongs to an earlier iteration.
        lines.push(
          line("teach.narr.resumed", {
            iteration: session.iteration,
            epoch: session.epoch,
            next: session.next_phase,
          }),
        );
        lines.push(
          input.graph
            ? line("teach.narr.resumed.oldGraph", { previous: session.iteration - 1 })
            : line("teach.narr.resumed.noGraph"),
        );
      } else if (session.capabilities.source === "trace" && !session.parameters.length) {
        // A traced script's model is only known once a module's output reaches a loss.
        lines.push(line(input.ended ? "trace.narr.endedIdle" : "trace.narr.idle"));
      } else {
        lines.push(
          line("teach.narr.idle", {
            params: session.parameters.map(nameOf).join(", "),
            count: session.parameters.length,
          }),
        );
        // After a reset the same model's graph stays on screen until forward builds a new one.
        if (input.graph) lines.push(line("teach.narr.idle.oldGraph"));
      }
      break;
    case "forward": {
      const f = c.forward;
      const out = f?.tensors.y_pred;
      const x = f?.tensors.x;
      const chain = (f?.calls ?? []).map((call) => call.cls).join(" → ");
      lines.push(
        line("teach.narr.forward", {
          line: at("forward"),
          n: x?.shape[0] ?? "?",
          chain: chain || session.model.cls,
          shape: out ? formatShape(out.shape) : "?",
          first: out ? formatNumber(decodeFloat(out.values?.[0] ?? out.summary?.first[0])) : "?",
        }),
      );
      break;
    }
    case "loss": {
      const n = c.loss?.y?.shape[0] ?? "?";
      lines.push(
        line("teach.narr.loss", {
          line: at("loss"),
          criterion: session.criterion.cls,
          n,
          loss: formatNumber(input.loss),
          root: input.graph?.root ?? "grad_fn",
        }),
      );
      const trend = classifyLoss(input.loss, input.previousLoss ?? null);
      if (trend === "rose" || trend === "nonfinite") {
        lines.push(
          line(trend === "rose" ? "teach.narr.loss.rose" : "teach.narr.loss.nonfinite", {
            loss: formatNumber(input.loss),
            previous: formatNumber(input.previousLoss ?? null),
          }),
        );
      }
      break;
    }
    case "zero_grad": {
      const z = c.zero_grad;
      const old = input.previousGrads[first] ?? null;
      if (z?.skipped) {
        lines.push(
          line("teach.narr.zeroGrad.skipped", {
            line: at("zero_grad"),
            name: nameOf(first),
            old: short(old),
          }),
        );
      } else {
        const key = old === null ? "teach.narr.zeroGrad.fresh" : "teach.narr.zeroGrad";
        lines.push(
          line(key, {
            line: at("zero_grad"),
            count: Object.keys(z?.after ?? {}).length || session.parameters.length,
            name: nameOf(first),
            old: short(old),
          }),
        );
      }
      break;
    }
    case "backward": {
      const b = c.backward;
      const fill = b?.fills.find((f) => f.param === first) ?? b?.fills[0];
      const g = fill ? scalarOf(fill.value) : null;
      lines.push(
        line("teach.narr.backward", {
          line: at("backward"),
          nodes: b?.order.length ?? 0,
          root: input.graph?.root ?? "loss",
          name: fill ? nameOf(fill.param) : "?",
          grad: fill ? short(fill.value) : "?",
        }),
      );
      if (fill && g !== null && g !== 0) {
        const key = g < 0 ? "teach.narr.backward.neg" : "teach.narr.backward.pos";
        lines.push(line(key, { name: nameOf(fill.param) }));
      }
      break;
    }
    case "step":
      lines.push(...narrateStep(input, at("step"), nameOf));
      break;
  }
  const nextLine = at(input.next);
  // A traced script's lines are learned as it runs: a phase not reached yet has none.
  lines.push(
    input.ended
      ? line("trace.narr.noNext")
      : nextLine
        ? line("teach.narr.next", { line: nextLine, code: codeOf(session, input.next) })
        : line("trace.narr.nextUnseen", { phase: input.next }),
  );
  return lines;
}

/** The step's sentences: what moved and how far, then what did not move and why. */
function narrateStep(input: NarrationInput, at: number, nameOf: (n: string) => string): Line[] {
  const session = input.session as SessionEvent;
  const s = input.captures.step;
  const out: Line[] = [];
  const worst = classifyStep(s, input.priorStep);
  const u = worst?.update;
  const ref = input.references.find((r) => r.param === u?.name);
  const cls = session.optimizer.cls;
  const hyper = u?.hyper ?? session.optimizer.param_groups[0]?.hyper ?? {};
  const params = {
    line: at,
    name: u ? elementName(nameOf(u.name), u.before) : "?",
    before: firstValue(u?.before),
    after: firstValue(u?.after),
    grad: firstValue(u?.grad),
    lr: String(hyper.lr ?? "?"),
    v0: ref?.version_before ?? "?",
    v1: ref?.version_after ?? "?",
  };
  if (!u) out.push(line("teach.narr.step.none", { line: at }));
  else if (worst.kind === "diverged") out.push(line("teach.narr.step.diverged", params));
  else if (worst.kind === "overshoot") out.push(line("teach.narr.step.overshoot", params));
  else if (cls === "Adam" || cls === "AdamW") {
    out.push(
      line("teach.narr.step.adam", {
        ...params,
        cls,
        m: firstValue(u.state.exp_avg as TensorValue | undefined),
        v: firstValue(u.state.exp_avg_sq as TensorValue | undefined),
      }),
    );
  } else if (typeof hyper.momentum === "number" && hyper.momentum > 0) {
    out.push(
      line("teach.narr.step.momentum", {
        ...params,
        mu: hyper.momentum,
        buf: firstValue(u.state.momentum_buffer as TensorValue | undefined),
      }),
    );
  } else {
    out.push(line("teach.narr.step.sgd", params));
  }
  // A big step from a small start is often progress: said next to the optimizer's own
  // sentence, not instead of it.
  if (worst?.kind === "far") out.push(line("teach.narr.step.far", params));
  const skipped = skippedOf(session, s);
  if (skipped.frozen.length > 0) {
    out.push(line("teach.narr.step.frozen", { names: skipped.frozen.map(nameOf).join(", ") }));
  }
  if (skipped.noGrad.length > 0) {
    out.push(line("teach.narr.step.noGrad", { names: skipped.noGrad.map(nameOf).join(", ") }));
  }
  if (u) out.push(line("teach.narr.step.inPlace", { ...params, name: nameOf(u.name) }));
  return out;
}
