// What backward() added to a .grad that zero_grad() did not clear (pure): the notes' point
// that AccumulateGrad does `.grad += g`, with all three numbers as torch had them.
import type { GraphEvent, TensorValue } from "../wire/protocol";
import type { CaptureByPhase } from "../wire/protocol";

/** .grad before backward (g₀, the sum so far), this backward's own gradient g₁, and .grad after. */
export interface Accumulation {
  previous: TensorValue;
  own: TensorValue;
  total: TensorValue;
}

/**
 * Per parameter, when this iteration's zero_grad() was skipped and its backward() added to a
 * .grad that was already there: `previous` is .grad as zero_grad left it, `own` the gradient
 * the graph sent into the parameter's AccumulateGrad node, `total` .grad right after the fill
 * (torch's float32 sum, not recomputed here). Empty otherwise.
 */
export function accumulations(
  captures: Readonly<Partial<CaptureByPhase>>,
  graph: GraphEvent | null,
): Map<string, Accumulation> {
  const out = new Map<string, Accumulation>();
  const zero = captures.zero_grad;
  const backward = captures.backward;
  if (!zero?.skipped || !backward || !graph) return out;
  for (const fill of backward.fills) {
    const previous = zero.after[fill.param];
    const edge = graph.edges.find((e) => e.target === fill.node);
    const own = edge ? backward.sent[edge.source]?.[edge.slot] : undefined;
    if (previous && own) out.set(fill.param, { previous, own, total: fill.value });
  }
  return out;
}
