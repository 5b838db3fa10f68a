import { describe, expect, it } from "vitest";
import { graphOf } from "../__fixtures__/graphs";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import { layoutGraph, pointAlong } from "./layout";
import type { LayoutEdge, LayoutNode } from "./layout";
import {
  buildProgress,
  edgeDot,
  fillProgress,
  graphLevels,
  nodeProgress,
  nodeValue,
  orderBadge,
  phaseRan,
  ranUncapturedLines,
  runState,
  sentText,
  LEFT_OUT,
  shownGrad,
  sparkBins,
  sparkPath,
} from "./phaseview";
import type { GraphPhaseInput } from "./phaseview";
import { formatNumber } from "../util/tensor";
import { staggered } from "../util/animation";
import type { BackwardCapture, LossCapture, PhaseName, SessionEvent } from "../wire/protocol";

const events = phaseEvents(loadFixture("linear"));
const zeroGrad = events[2];
const backward = events[3];
if (!zeroGrad || !backward) throw new Error("linear fixture too short");
const cap = backward.capture as BackwardCapture;

describe("shownGrad during backward", () => {
  const input = (t: number) => ({
    phase: "backward" as const,
    t,
    backward: cap,
    grads: backward.grads,
    previousGrads: zeroGrad.grads,
  });

  it("keeps the old .grad until the engine reaches the parameter's AccumulateGrad", () => {
    // Order: MseLoss, Addmm, AccumulateGrad(bias), TBackward0, AccumulateGrad(weight).
    expect(shownGrad("linear.bias", input(0.3))).toBeNull();
    expect(shownGrad("linear.bias", input(0.55))?.values).toEqual([-21.657269]);
    expect(shownGrad("linear.weight", input(0.55))).toBeNull();
    expect(shownGrad("linear.weight", input(1))?.values).toEqual([-143.5077]);
  });

  it("knows how far each node and fill is", () => {
    expect(nodeProgress(cap, "MseLossBackward0", 0.2)).toBe(1);
    expect(nodeProgress(cap, "AccumulateGrad:linear.weight", 0.2)).toBe(0);
    expect(nodeProgress(cap, "unknown", 0.2)).toBe(1);
    expect(fillProgress("linear.weight", input(0.9))).toBeCloseTo(0.5);
  });

  it("shows the current grads outside animations", () => {
    const step = { ...input(0), phase: "step" as const };
    expect(shownGrad("linear.weight", step)?.values).toEqual([-143.5077]);
  });
});

describe("sparkBins", () => {
  it("bins values and summaries into [0, 1]", () => {
    const bins = sparkBins({ shape: [4], dtype: "float32", values: [0, 0, 1, "NaN"] }, 2);
    expect(bins).toEqual([1, 0.5]);
    expect(sparkBins(null)).toBeNull();
    expect(sparkBins({ shape: [1], dtype: "float32", values: [1] })).toBeNull();
  });
});

describe("sparkPath", () => {
  it("draws one bar per bin standing on the bottom line", () => {
    const path = sparkPath({ shape: [2], dtype: "float32", values: [0, 1] }, 24, 10);
    // Twelve bins 2 wide: full bars in the first and the last, empty ones between.
    expect(path.match(/M/g)).toHaveLength(12);
    expect(path.startsWith("M0.0 10v-10.0h1.0v10.0zM2.0 10v0.0h1.0v0.0z")).toBe(true);
    expect(path.endsWith("M22.0 10v-10.0h1.0v10.0z")).toBe(true);
    expect(sparkPath(null, 24, 10)).toBe("");
  });

  it("draws each size of a tensor, and another tensor, as its own values say", () => {
    const rising = { shape: [2], dtype: "float32" as const, values: [0, 1] };
    const falling = { shape: [3], dtype: "float32" as const, values: [1, 1, 0] };
    const first = sparkPath(rising, 24, 10);
    expect(sparkPath(rising, 24, 10)).toBe(first);
    expect(sparkPath(rising, 12, 5)).toBe(sparkPath({ ...rising }, 12, 5));
    expect(sparkPath(rising, 12, 5)).not.toBe(first);
    // Two values in the top bin: that bar is full, the bottom one half as tall.
    expect(sparkPath(falling, 24, 10).startsWith("M0.0 10v-5.0h1.0v5.0z")).toBe(true);
  });
});

describe("nodeProgress and fillProgress over a long order", () => {
  it("give every node its own place in the engine's order, as a scan would", () => {
    const order = Array.from({ length: 500 }, (_, i) => `n${i}`);
    const long: BackwardCapture = {
      ...cap,
      order,
      fills: [{ ...(cap.fills[0] as BackwardCapture["fills"][number]), node: "n250" }],
    };
    for (const t of [0, 0.3, 0.5, 0.9, 1]) {
      for (const k of [0, 1, 250, 499]) {
        expect(nodeProgress(long, `n${k}`, t)).toBe(staggered(t, k, order.length));
      }
      const param = long.fills[0]?.param ?? "";
      const input = { phase: "backward" as const, t, backward: long, grads: {}, previousGrads: {} };
      expect(fillProgress(param, input)).toBe(staggered(t, 250, order.length));
    }
  });
});

describe("the autograd graph at progress t", () => {
  // The linear scenario's first iteration: MseLoss → Addmm → (bias, TBackward0 → weight).
  const graph = graphOf("linear");
  const layout = layoutGraph(graph, { groupByModule: true });
  const levels = graphLevels(layout, graph);
  const frames = loadFixture("linear").frames;
  const session = frames.find((f): f is SessionEvent => f.type === "session");
  const loss = events[1]?.capture as LossCapture;
  const node = (id: string) => layout.nodes.find((n) => n.id === id) as LayoutNode;
  const edge = (source: string, target: string) =>
    layout.edges.find((e) => e.source === source && e.target === target) as LayoutEdge;
  const input = (phase: PhaseName, t: number, animating = false): GraphPhaseInput => ({
    phase,
    t,
    backward: cap,
    grads: backward.grads,
    previousGrads: zeroGrad.grads,
    ...levels,
    order: new Map(cap.order.map((id, i) => [id, i])),
    nodeValues: loss.node_values,
    data: session?.data ?? undefined,
    animating,
  });

  it("knows which nodes model(x) built and which the criterion did", () => {
    expect(levels.forward.has("AddmmBackward0")).toBe(true);
    expect(levels.forward.has("AccumulateGrad:linear.weight")).toBe(true);
    expect(levels.forward.has("MseLossBackward0")).toBe(false);
    expect(levels.maxForwardLevel).toBe(node("AddmmBackward0").level);
    expect(levels.maxLevel).toBe(node("MseLossBackward0").level);
    expect(levels.maxLevel).toBeGreaterThan(levels.maxForwardLevel);
  });

  it("builds the model's levels in forward and the criterion's in loss", () => {
    const addmm = node("AddmmBackward0");
    const mse = node("MseLossBackward0");
    expect(buildProgress(addmm, input("forward", 0))).toBe(0);
    expect(buildProgress(node("AccumulateGrad:linear.weight"), input("forward", 0.2))).toBeCloseTo(
      0.6,
    );
    expect(buildProgress(addmm, input("forward", 1))).toBe(1);
    expect(buildProgress(mse, input("forward", 1))).toBe(0);
    expect(buildProgress(mse, input("loss", 0.4))).toBeCloseTo(0.4);
    expect(buildProgress(addmm, input("loss", 0))).toBe(1);
    expect(buildProgress(mse, input("zero_grad", 0))).toBe(1);
  });

  it("lights nodes in the engine's order in backward and numbers them once run", () => {
    // Five nodes ran: at t = 0.3 the first is done, the second half-way, the third waits.
    const at = input("backward", 0.3);
    expect(runState("MseLossBackward0", at)).toBe("done");
    expect(runState("AddmmBackward0", at)).toBe("running");
    expect(runState("AccumulateGrad:linear.bias", at)).toBe("pending");
    expect(runState("data:x", at)).toBe("idle");
    expect(orderBadge("AddmmBackward0", at)).toBe(2);
    expect(orderBadge("AccumulateGrad:linear.bias", at)).toBeNull();
    expect(runState("TBackward0", input("step", 0))).toBe("done");
    expect(orderBadge("AccumulateGrad:linear.weight", input("step", 0))).toBe(5);
    expect(runState("TBackward0", input("loss", 1))).toBe("idle");
    expect(orderBadge("MseLossBackward0", input("loss", 1))).toBeNull();
  });

  it("writes a parameter's .grad, an op's value from loss on, and a data tensor's values", () => {
    const weight = node("AccumulateGrad:linear.weight");
    expect(nodeValue(weight, input("zero_grad", 0.2)).text).toBe(".grad = None");
    expect(nodeValue(weight, input("step", 0))).toEqual({
      text: `.grad = ${formatNumber(-143.5077)}`,
      tensor: null,
      grad: true,
    });
    const mse = nodeValue(node("MseLossBackward0"), input("loss", 1));
    expect(mse.text).toMatch(/^= \d/);
    expect(mse.tensor).toBeNull();
    const addmm = nodeValue(node("AddmmBackward0"), input("backward", 1));
    expect(addmm.text).toBe("(100, 1)");
    expect(addmm.tensor?.shape).toEqual([100, 1]);
    expect(nodeValue(node("AddmmBackward0"), input("forward", 1)).text).toBe("");
    const x = nodeValue(node("data:x"), input("forward", 1));
    expect(x.text).toBe("");
    expect(x.tensor).toBe(session?.data?.x);
  });

  it("labels a gradient edge with what its source sent once the source has run", () => {
    const out = edge("MseLossBackward0", "AddmmBackward0");
    expect(sentText(out, input("backward", 0.1))).toBeNull();
    expect(sentText(out, input("backward", 0.2))).toBe("(100, 1)");
    expect(sentText(out, input("step", 0))).toBe("(100, 1)");
    expect(sentText(out, input("loss", 1))).toBeNull();
    const toBias = edge("AddmmBackward0", "AccumulateGrad:linear.bias");
    expect(sentText(toBias, input("step", 0))).toBe(formatNumber(-21.657269));
    expect(sentText(edge("AddmmBackward0", "data:x"), input("step", 0))).toBeNull();
  });

  it("marks a gradient edge whose source's gradients the frame left out", () => {
    const out = edge("MseLossBackward0", "AddmmBackward0");
    const given = input("step", 0);
    const cap = given.backward;
    if (!cap) throw new Error("no backward capture");
    const { MseLossBackward0: _dropped, ...sent } = cap.sent;
    const thin = { ...cap, sent, left_out: ["MseLossBackward0"] };
    expect(sentText(out, { ...given, backward: thin })).toBe(LEFT_OUT);
    expect(sentText(out, { ...given, backward: { ...cap, sent } })).toBeNull();
  });

  it("moves a value dot up an edge as its source builds, a gradient dot down in backward", () => {
    const out = edge("MseLossBackward0", "AddmmBackward0");
    const mse = node("MseLossBackward0");
    expect(edgeDot(out, mse, input("loss", 0.5))).toBeNull();
    expect(edgeDot(out, mse, input("loss", 0.5, true))).toEqual({
      ...pointAlong([...out.points].reverse(), 0.5),
      kind: "value",
    });
    expect(edgeDot(out, mse, input("backward", 0.1, true))).toEqual({
      ...pointAlong(out.points, 0.5),
      kind: "grad",
    });
    expect(edgeDot(out, mse, input("backward", 0.5, true))).toBeNull();
    expect(
      edgeDot(
        edge("AddmmBackward0", "data:x"),
        node("AddmmBackward0"),
        input("backward", 0.3, true),
      ),
    ).toBeNull();
  });
});

describe("phases that ran without a capture", () => {
  it("are every phase up to the latest in this iteration", () => {
    expect(phaseRan("forward", null, "forward")).toBe(false);
    expect(phaseRan("loss", "forward", "loss")).toBe(false);
    expect(phaseRan("forward", "forward", "loss")).toBe(true);
    // Step iteration sends only `step`: forward … backward ran as well.
    for (const p of ["forward", "loss", "zero_grad", "backward", "step"] as const) {
      expect(phaseRan(p, "step", "forward")).toBe(true);
    }
    // A session in the middle of an iteration (after `set`): what came before `next` ran.
    expect(phaseRan("loss", null, "zero_grad")).toBe(true);
    expect(phaseRan("zero_grad", null, "zero_grad")).toBe(false);
  });

  it("show the numbers the event carries and say the details were skipped", () => {
    const step = events[4];
    if (!step) throw new Error("linear fixture too short");
    const input = {
      loss: step.loss,
      grads: step.grads,
      skipZeroGrad: false,
      names: new Map([
        ["linear.weight", "weight"],
        ["linear.bias", "bias"],
      ]),
    };
    const loss = ranUncapturedLines("loss", input);
    expect(loss.map((l) => l.key)).toEqual(["loop.ran.loss", "loop.ran.skipped"]);
    expect(loss[0]?.params.loss).toBe(formatNumber(step.loss));
    const backward = ranUncapturedLines("backward", input);
    expect(backward.map((l) => l.params.name ?? l.key)).toEqual([
      "weight",
      "bias",
      "loop.ran.skipped",
    ]);
    expect(backward[0]?.params.value).toBe("−143.5077");
    expect(ranUncapturedLines("forward", input).map((l) => l.key)).toEqual(["loop.ran.skipped"]);
    expect(
      ranUncapturedLines("zero_grad", { ...input, skipZeroGrad: true }).map((l) => l.key),
    ).toEqual(["explain.zeroGrad.skipped", "loop.ran.skipped"]);
  });
});
