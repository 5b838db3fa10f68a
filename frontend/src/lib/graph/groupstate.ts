// How a collapsed group and a merged edge animate (pure): a group stands for its nodes, so
// it is built when its first node is, runs while any node inside runs in backward (in the
// engine's order, as those nodes do), and is done when all of them are.
import { pointAlong } from "./layout";
import type { LayoutEdge, LayoutNode } from "./layout";
import { nodeProgress, runState } from "./phaseview";
import type { EdgeDot, GraphPhaseInput, RunState } from "./phaseview";

/** The run state of a set of nodes taken as one: running if any runs, done once all ran. */
export function membersRunState(ids: readonly string[], input: GraphPhaseInput): RunState {
  let done = 0;
  let pending = 0;
  for (const id of ids) {
    const s = runState(id, input);
    if (s === "running") return "running";
    if (s === "done") done++;
    else if (s === "pending") pending++;
  }
  if (done === 0 && pending === 0) return "idle";
  return pending === 0 ? "done" : done > 0 && input.phase === "backward" ? "running" : "pending";
}

/** A node's run state, a collapsed group's taken from its members. */
export function unitRunState(node: LayoutNode, input: GraphPhaseInput): RunState {
  return node.members ? membersRunState(node.members, input) : runState(node.id, input);
}

/** An edge's run state: its source's, or for a merged edge that of the sources it stands for. */
export function edgeRunState(edge: LayoutEdge, input: GraphPhaseInput): RunState {
  return edge.via ? membersRunState(edge.via, input) : runState(edge.source, input);
}

/** How many of a group's nodes the engine has finished in backward (for the group's badge). */
export function membersDone(ids: readonly string[], input: GraphPhaseInput): number {
  return ids.filter((id) => runState(id, input) === "done").length;
}

/**
 * The gradient dot on a merged edge: it travels while one of the sources it stands for
 * runs, at that source's progress (the latest one running, in the engine's order).
 */
export function mergedEdgeDot(edge: LayoutEdge, input: GraphPhaseInput): EdgeDot | null {
  if (!edge.via || !input.animating || input.phase !== "backward" || !input.backward) return null;
  if (edge.points.length < 2) return null;
  let best = -1;
  let progress = 0;
  for (const id of edge.via) {
    const p = nodeProgress(input.backward, id, input.t);
    const k = input.order.get(id) ?? -1;
    if (p > 0 && p < 1 && k > best) {
      best = k;
      progress = p;
    }
  }
  return best < 0 ? null : { ...pointAlong(edge.points, progress), kind: "grad" };
}
