import { describe, expect, it } from "vitest";
import { en } from "../../i18n/en";
import { format } from "../../i18n/index.svelte";
import { zh } from "../../i18n/zh";
import { loadFixture } from "../__fixtures__/load";
import {
  checkConfig,
  checkField,
  configFieldName,
  problemFromServer,
  problemMessage,
  propertySchema,
} from "./configform";
import type { FieldProblem } from "./configform";
import type { SessionEvent } from "../wire/protocol";
import { LoopStore } from "./state.svelte";

// The linear scenario's config schema exactly as the server sends it in the session event.
const session = loadFixture("linear").frames[0] as SessionEvent;
const schema = session.config_schema;
const prop = (name: string) => propertySchema(schema, name);

describe("checkField against the recorded linear schema", () => {
  it("reads valid numbers, integers and choices", () => {
    expect(checkField(prop("lr"), " 0.05 ")).toEqual({ value: 0.05, problem: null });
    expect(checkField(prop("seed"), "7")).toEqual({ value: 7, problem: null });
    expect(checkField(prop("optimizer"), "adam")).toEqual({ value: "adam", problem: null });
    expect(checkField(prop("device"), "cuda:1")).toEqual({ value: "cuda:1", problem: null });
  });

  it("names the bound an out-of-range value breaks", () => {
    // lr: exclusiveMinimum 0, maximum 10.
    expect(checkField(prop("lr"), "-1").problem).toEqual({ kind: "gt", bound: 0 });
    expect(checkField(prop("lr"), "0").problem).toEqual({ kind: "gt", bound: 0 });
    expect(checkField(prop("lr"), "10").problem).toBeNull();
    expect(checkField(prop("lr"), "10.5").problem).toEqual({ kind: "le", bound: 10 });
    // momentum: minimum 0, exclusiveMaximum 1.
    expect(checkField(prop("momentum"), "-0.1").problem).toEqual({ kind: "ge", bound: 0 });
    expect(checkField(prop("momentum"), "1").problem).toEqual({ kind: "lt", bound: 1 });
  });

  it("calls a seed too large by its bound, not 'not an integer'", () => {
    expect(checkField(prop("seed"), "99999999999999999999").problem).toEqual({
      kind: "le",
      bound: 2147483647,
    });
    expect(checkField(prop("seed"), "-3").problem).toEqual({ kind: "ge", bound: 0 });
  });

  it("refuses text that is not a number, and fractions where an integer is wanted", () => {
    expect(checkField(prop("lr"), "fast").problem).toEqual({ kind: "number" });
    expect(checkField(prop("lr"), "Infinity").problem).toEqual({ kind: "number" });
    expect(checkField(prop("seed"), "1.5").problem).toEqual({ kind: "integer" });
    expect(checkField(prop("seed"), "1e3").problem).toEqual({ kind: "integer" });
    expect(checkField(prop("seed"), "").problem).toEqual({ kind: "required" });
  });

  it("reads an empty nullable field as null and checks the branch that is not null", () => {
    expect(checkField(prop("batch_size"), "  ")).toEqual({ value: null, problem: null });
    expect(checkField(prop("batch_size"), "0").problem).toEqual({ kind: "ge", bound: 1 });
    expect(checkField(prop("batch_size"), "2.5").problem).toEqual({ kind: "integer" });
  });

  it("lists the allowed values of an enum", () => {
    expect(checkField(prop("optimizer"), "rmsprop").problem).toEqual({
      kind: "enum",
      options: ["sgd", "momentum", "adam", "adamw"],
    });
  });

  it("keeps the text when there is no schema (the server still checks)", () => {
    expect(checkField(undefined, "-1")).toEqual({ value: "-1", problem: null });
  });
});

describe("checkConfig", () => {
  it("builds the config on the run's own and reports every bad field", () => {
    const { config, problems } = checkConfig(
      schema,
      { lr: "-1", seed: "x", batch_size: "", optimizer: "sgd", device: "cpu" },
      session.config ?? {},
    );
    expect(Object.keys(problems).sort()).toEqual(["lr", "seed"]);
    expect(config.batch_size).toBeNull();
    expect(config.n_points).toBe(session.config?.n_points);
  });

  it("keeps a mini-batch no larger than the data", () => {
    const base = { ...session.config, n_points: 100 };
    const fields = { batch_size: "150" };
    expect(checkConfig(schema, fields, base).problems.batch_size).toEqual({
      kind: "batch",
      bound: 100,
    });
    expect(checkConfig(schema, { batch_size: "100" }, base).problems).toEqual({});
  });
});

describe("server refusals in the page's words", () => {
  it("finds the config field the server named", () => {
    expect(configFieldName("config.lr")).toBe("lr");
    expect(configFieldName("config.frozen.0")).toBe("frozen");
    expect(configFieldName("lr")).toBeNull();
    expect(configFieldName(null)).toBeNull();
  });

  it("reads pydantic's and the engine's messages back into problems", () => {
    const cases: [string, FieldProblem][] = [
      ["config.lr: Input should be greater than 0", { kind: "gt", bound: 0 }],
      ["config.seed: Input should be greater than or equal to 0", { kind: "ge", bound: 0 }],
      ["config.lr: Input should be less than or equal to 10", { kind: "le", bound: 10 }],
      ["config.momentum: Input should be less than 1", { kind: "lt", bound: 1 }],
      [
        "config.seed: Input should be a valid integer, unable to parse string as an integer",
        { kind: "integer" },
      ],
      [
        "config.batch_size: batch_size 150 exceeds n_points 100 (use null for full batch)",
        { kind: "batch", bound: 100 },
      ],
      ["mps is not available here", { kind: "unavailable", value: "mps" }],
      [
        "config.device: expected auto, cpu, mps, cuda or cuda:N",
        {
          kind: "server",
          detail: "expected auto, cpu, mps, cuda or cuda:N",
        },
      ],
    ];
    for (const [message, problem] of cases)
      expect(problemFromServer(message), message).toEqual(problem);
  });

  it("says the problem with the field's label and bound, in both languages", () => {
    const { key, params } = problemMessage({ kind: "gt", bound: 0 }, en["config.lr"]);
    expect(format(en[key], params)).toBe("Learning rate must be greater than 0");
    const zhMessage = problemMessage({ kind: "gt", bound: 0 }, zh["config.lr"]);
    expect(format(zh[zhMessage.key], zhMessage.params)).toBe("学习率必须大于 0");
  });
});

describe("a refused start", () => {
  it("leaves the store's scenario and config at the run that goes on", () => {
    const store = new LoopStore({ send: () => true });
    store.setConnection("open", null);
    store.handle(session);
    store.startRun("linear", { ...session.config, device: "mps" });
    expect(store.config.device).toBe("mps");
    store.handle({
      type: "error",
      code: "device_unavailable",
      message: "mps is not available here",
      field: "config.device",
    });
    expect(store.config).toEqual(session.config);
    expect(store.toasts.map((t) => t.field)).toEqual(["config.device"]);
  });
});
