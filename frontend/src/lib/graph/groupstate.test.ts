import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import {
  edgeRunState,
  membersDone,
  membersRunState,
  mergedEdgeDot,
  unitRunState,
} from "./groupstate";
import type { LayoutEdge, LayoutNode } from "./layout";
import { NO_LEVELS, nodeProgress, runState } from "./phaseview";
import type { GraphPhaseInput } from "./phaseview";
import type { BackwardCapture, PhaseName } from "../wire/protocol";

// The linear scenario's real backward: the engine's order over its five nodes.
const events = phaseEvents(loadFixture("linear"));
const backward = events[3];
if (!backward) throw new Error("linear fixture too short");
const cap = backward.capture as BackwardCapture;
const order = cap.order;
const input = (phase: PhaseName, t: number): GraphPhaseInput => ({
  phase,
  t,
  backward: cap,
  grads: backward.grads,
  previousGrads: backward.grads,
  ...NO_LEVELS,
  order: new Map(order.map((id, i) => [id, i])),
  nodeValues: undefined,
  data: undefined,
  animating: true,
});
// Two of the nodes folded together: the second and the last the engine ran.
const members = [order[1] as string, order[order.length - 1] as string];
const n = order.length;

describe("a folded group in backward", () => {
  it("waits, runs while either member runs, and is done once both ran", () => {
    expect(order.length).toBeGreaterThanOrEqual(4);
    expect(membersRunState(members, input("backward", 0))).toBe("pending");
    // Midway through the first member's turn.
    expect(membersRunState(members, input("backward", 1.5 / n))).toBe("running");
    expect(membersDone(members, input("backward", 1.5 / n))).toBe(0);
    // Between the two: one done, the other still to come — the group is still at work.
    const between = input("backward", 2.5 / n);
    expect(runState(members[0] as string, between)).toBe("done");
    expect(runState(members[1] as string, between)).toBe("pending");
    expect(membersRunState(members, between)).toBe("running");
    expect(membersDone(members, between)).toBe(1);
    expect(membersRunState(members, input("backward", 1))).toBe("done");
    expect(membersRunState(members, input("step", 0))).toBe("done");
    expect(membersRunState(members, input("forward", 0.5))).toBe("idle");
  });

  it("is read from its members as a node, and from its sources as an edge", () => {
    const node = { id: "group:g", members } as unknown as LayoutNode;
    const edge = { id: "e", source: "group:g", via: members, points: [] } as unknown as LayoutEdge;
    const at = input("backward", 1.5 / n);
    expect(unitRunState(node, at)).toBe("running");
    expect(edgeRunState(edge, at)).toBe("running");
    const plain = { id: order[0], members: undefined } as unknown as LayoutNode;
    expect(unitRunState(plain, at)).toBe(runState(order[0] as string, at));
  });

  it("sends a gradient dot along a merged edge at the running source's progress", () => {
    const points = [
      { x: 0, y: 0 },
      { x: 0, y: 100 },
    ];
    const edge = { id: "e", source: "group:g", via: members, points } as unknown as LayoutEdge;
    const at = input("backward", 1.25 / n);
    const p = nodeProgress(cap, members[0] as string, at.t);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
    expect(mergedEdgeDot(edge, at)).toEqual({ x: 0, y: 100 * p, kind: "grad" });
    expect(mergedEdgeDot(edge, input("backward", 2.5 / n))).toBeNull();
    expect(mergedEdgeDot(edge, input("forward", 0.5))).toBeNull();
  });
});
