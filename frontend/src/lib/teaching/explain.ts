// What each phase just did, as translatable lines with the real numbers (pure).
//
// A line is a message key plus parameters; the views translate it. Names are the
// parameter's local name ("weight") when that is unambiguous, else the qualified one.
import type { Line } from "../util/line";
import type { CaptureByPhase, PhaseName, SessionEvent, TensorValue } from "../wire/protocol";
import {
  decodeFloat,
  decodeValues,
  formatDelta,
  formatNumber,
  formatShape,
  formatTensor,
  scalarOf,
} from "../util/tensor";

/** How many per-parameter lines to show before "… and N more". */
export const MAX_LINES = 3;

/** Short display names: "weight" for linear.weight when no other parameter is called weight. */
export function displayNames(session: SessionEvent | null): Map<string, string> {
  const names = new Map<string, string>();
  if (!session) return names;
  const count = new Map<string, number>();
  const locals = new Map<string, string>();
  const walk = (m: SessionEvent["model"]) => {
    for (const p of m.parameters) {
      locals.set(p.name, p.local);
      count.set(p.local, (count.get(p.local) ?? 0) + 1);
    }
    m.children.forEach(walk);
  };
  walk(session.model);
  for (const name of session.parameters) {
    const local = locals.get(name) ?? name;
    names.set(name, count.get(local) === 1 ? local : name);
  }
  return names;
}

function shortValue(tensor: TensorValue | null | undefined): string {
  const s = scalarOf(tensor);
  return s === null ? formatTensor(tensor, 3) : formatNumber(s);
}

function capped(lines: Line[]): Line[] {
  if (lines.length <= MAX_LINES) return lines;
  const more = lines.length - (MAX_LINES - 1);
  return [...lines.slice(0, MAX_LINES - 1), { key: "explain.more", params: { n: String(more) } }];
}

/** Mean |after − before| over all elements, for tensors too big to print. */
function meanAbsChange(before: TensorValue, after: TensorValue): number | null {
  const a = decodeValues(before);
  const b = decodeValues(after);
  if (!a || !b || a.length !== b.length || a.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((b[i] as number) - (a[i] as number));
  return sum / a.length;
}

export interface ExplainInput {
  session: SessionEvent | null;
  loss: number | string | null;
  nodeCount: number;
}

/** The lines for one phase's capture (an empty list when it has not run yet). */
export function explainPhase<P extends PhaseName>(
  phase: P,
  capture: CaptureByPhase[P] | null | undefined,
  input: ExplainInput,
): Line[] {
  if (!capture) return [];
  const names = displayNames(input.session);
  const nameOf = (n: string) => names.get(n) ?? n;
  switch (phase) {
    case "forward": {
      const c = capture as CaptureByPhase["forward"];
      const chain = c.calls
        .map((call) => (call.module ? `${call.module} (${call.cls})` : call.cls))
        .join(" → ");
      const root = c.calls[0];
      const out = root?.output ? c.tensors[root.output] : undefined;
      return [
        {
          key: "explain.forward",
          params: {
            chain: chain || "model",
            shape: out ? formatShape(out.shape) : "?",
            value: out ? formatTensor(out, 3) : "?",
          },
        },
      ];
    }
    case "loss":
      return [
        {
          key: "explain.loss",
          params: {
            criterion: input.session?.criterion.cls ?? "criterion",
            loss: formatNumber(input.loss === null ? null : (input.loss as number)),
            nodes: String(input.nodeCount),
          },
        },
      ];
    case "zero_grad": {
      const c = capture as CaptureByPhase["zero_grad"];
      if (c.skipped) return [{ key: "explain.zeroGrad.skipped", params: {} }];
      const lines: Line[] = Object.entries(c.after).map(([name, after]) => ({
        key: after === null ? "explain.zeroGrad.none" : "explain.zeroGrad.zero",
        params: { name: nameOf(name), value: shortValue(after) },
      }));
      return capped(lines);
    }
    case "backward": {
      const c = capture as CaptureByPhase["backward"];
      return capped(
        c.fills.map((f) => ({
          key: "explain.backward",
          params: { name: nameOf(f.param), value: shortValue(f.value) },
        })),
      );
    }
    case "step": {
      const c = capture as CaptureByPhase["step"];
      const lines: Line[] = c.updates.map((u): Line => {
        const before = scalarOf(u.before);
        const after = scalarOf(u.after);
        if (before !== null && after !== null) {
          return {
            key: "explain.step.scalar",
            params: {
              name: nameOf(u.name),
              before: formatNumber(before),
              after: formatNumber(after),
              delta: formatDelta(after - before),
            },
          };
        }
        // The server sends mean |Δ| where the values travel as summaries.
        const change =
          u.mean_abs_change === undefined
            ? meanAbsChange(u.before, u.after)
            : decodeFloat(u.mean_abs_change);
        return {
          key: "explain.step.tensor",
          params: { name: nameOf(u.name), delta: change === null ? "?" : formatNumber(change) },
        };
      });
      for (const name of c.skipped) {
        lines.push({ key: "explain.step.skipped", params: { name: nameOf(name) } });
      }
      return capped(lines);
    }
    default:
      return [];
  }
}
