import { describe, expect, it } from "vitest";
import { loadFixture, phaseEvents } from "../__fixtures__/load";
import {
  buildCallTree,
  modulePathText,
  parametersOrderMatches,
  registries,
  walkParameters,
} from "./moduletrace";
import type { ForwardCapture, SessionEvent } from "../wire/protocol";

function forwardOf(name: "linear" | "mlp"): { session: SessionEvent; forward: ForwardCapture } {
  const fixture = loadFixture(name);
  const event = phaseEvents(fixture).find((p) => p.phase === "forward");
  return { session: fixture.frames[0] as SessionEvent, forward: event?.capture as ForwardCapture };
}

describe("buildCallTree", () => {
  it("nests SimpleNet → linear in the order torch ran the hooks", () => {
    const tree = buildCallTree(forwardOf("linear").forward);
    expect(tree).toMatchObject({ module: "", cls: "SimpleNet", pre: 1, hook: 4, output: "y_pred" });
    expect(tree?.children).toHaveLength(1);
    expect(tree?.children[0]).toMatchObject({ module: "linear", cls: "Linear", pre: 2, hook: 3 });
  });

  it("nests the MLP's Sequential and its layers, each closed before the next opens", () => {
    const tree = buildCallTree(forwardOf("mlp").forward);
    const seq = tree?.children[0];
    expect(seq?.cls).toBe("Sequential");
    const layers = seq?.children ?? [];
    expect(layers.map((l) => l.module)).toEqual([
      "layers.0",
      "layers.1",
      "layers.2",
      "layers.3",
      "layers.4",
    ]);
    layers.forEach((l) => expect(l.hook).toBe(l.pre + 1));
    expect(seq?.hook).toBe((layers.at(-1)?.hook ?? 0) + 1);
    expect(buildCallTree(null)).toBeNull();
  });
});

describe("registries and parameters()", () => {
  it("files weight and bias in linear's _parameters and walks them in parameters() order", () => {
    const { session } = forwardOf("linear");
    const [root, linear] = registries(session.model);
    expect(root).toMatchObject({ path: "", children: ["linear"], parameters: [] });
    expect(linear?.parameters.map((p) => p.local)).toEqual(["weight", "bias"]);
    expect(walkParameters(session.model)).toEqual(session.parameters);
    expect(parametersOrderMatches(session)).toBe(true);
    expect(parametersOrderMatches(forwardOf("mlp").session)).toBe(true);
  });

  it("writes module paths as Python reaches them", () => {
    expect(modulePathText("")).toBe("model");
    expect(modulePathText("linear")).toBe("model.linear");
    expect(modulePathText("layers.2")).toBe("model.layers[2]");
  });
});
