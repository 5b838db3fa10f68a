import { describe, expect, it } from "vitest";
import { loadScenarios } from "../__fixtures__/load";
import { SCENARIOS } from "../wire/protocol";
import { fallbackScenarios, fetchScenarios, parseScenarios, schemaDefaults } from "./scenarios";

describe("parseScenarios", () => {
  it("reads the server's /api/scenarios answer", () => {
    const list = parseScenarios(loadScenarios());
    expect(list.map((s) => s.name)).toEqual([...SCENARIOS]);
    expect(list[0]?.description).toMatch(/SimpleNet/);
    expect(list[0]?.defaults.lr).toBe(0.01);
    expect(list[1]?.defaults.optimizer).toBe("adam");
    expect(list[0]?.schema?.properties).toBeTruthy();
  });

  it("accepts an object keyed by name and skips unknown names", () => {
    const list = parseScenarios({ scenarios: { linear: { description: "d" }, nope: {} } });
    expect(list).toEqual([
      { name: "linear", title: null, description: "d", schema: null, defaults: {} },
    ]);
  });

  it("keeps a title the server gives a scenario, else leaves its naming to the page", () => {
    const list = parseScenarios([
      { name: "charlm", title: "Transformer language model (2 blocks)" },
      { name: "linear", title: "" },
      { name: "mlp", title: 3 },
    ]);
    expect(list.map((s) => s.title)).toEqual(["Transformer language model (2 blocks)", null, null]);
  });

  it("reads defaults from a JSON Schema", () => {
    expect(schemaDefaults({ properties: { a: { default: 1 }, b: {} } })).toEqual({ a: 1 });
    expect(schemaDefaults(null)).toEqual({});
  });

  it("falls back to the protocol's names when the request fails", async () => {
    const failing = (() => Promise.reject(new Error("down"))) as unknown as typeof fetch;
    expect(await fetchScenarios(failing)).toEqual(fallbackScenarios());
  });
});
