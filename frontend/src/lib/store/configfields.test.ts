import { describe, expect, it } from "vitest";
import scenarios from "../__fixtures__/scenarios.json";
import { checkField } from "./configform";
import { boundsText, changedKeys, fieldText, formFields, relevantTo } from "./configfields";

type Schema = Record<string, unknown>;
const schemaOf = (name: string): Schema => {
  const list = scenarios as unknown as { name: string; config_schema: Schema }[];
  const found = list.find((s) => s.name === name);
  if (!found) throw new Error(`no ${name} in the fixture`);
  return found.config_schema;
};

describe("formFields", () => {
  it("offers every field of the schema, none twice", () => {
    for (const name of ["linear", "mlp", "classify", "charlm"]) {
      const schema = schemaOf(name);
      const props = Object.keys(schema.properties as Schema);
      const fields = formFields(schema).map((f) => f.name);
      expect([...fields].sort()).toEqual([...props].sort());
    }
  });

  it("reads each field's kind and bounds from the schema", () => {
    const fields = Object.fromEntries(formFields(schemaOf("mlp")).map((f) => [f.name, f]));
    expect(fields.lr).toMatchObject({ kind: "number", bounds: "(0, 10]", nullable: false });
    expect(fields.momentum).toMatchObject({ kind: "number", bounds: "[0, 1)" });
    expect(fields.weight_decay).toMatchObject({ kind: "number", nullable: true });
    expect(fields.batch_size).toMatchObject({ kind: "integer", nullable: true });
    expect(fields.activation).toMatchObject({ kind: "choice" });
    expect(fields.activation?.options).toEqual(["tanh", "relu", "sigmoid"]);
    expect(fields.hidden).toMatchObject({ kind: "list", bounds: "[1, 64]" });
    expect(fields.skip_zero_grad).toMatchObject({ kind: "boolean" });
    expect(fields.device).toMatchObject({ kind: "choice" });
  });

  it("shows an optimizer's own settings only while it is chosen", () => {
    expect(relevantTo("momentum", "sgd")).toBe(false);
    expect(relevantTo("momentum", "momentum")).toBe(true);
    expect(relevantTo("beta2", "adamw")).toBe(true);
    expect(relevantTo("beta2", "sgd")).toBe(false);
    expect(relevantTo("lr", "sgd")).toBe(true);
  });
});

describe("lists and switches", () => {
  const hidden = formFields(schemaOf("mlp")).find((f) => f.name === "hidden");
  const mlp = schemaOf("mlp").properties as Record<string, Schema>;

  it("reads a comma-separated list item by item, with its length bounds", () => {
    expect(hidden).toBeDefined();
    expect(checkField(mlp.hidden, "8, 4")).toEqual({ value: [8, 4], problem: null });
    expect(checkField(mlp.hidden, "8,65").problem).toEqual({ kind: "le", bound: 64 });
    expect(checkField(mlp.hidden, "1,1,1,1,1").problem).toEqual({
      kind: "length",
      min: 1,
      max: 4,
    });
    expect(checkField(mlp.frozen, "")).toEqual({ value: [], problem: null });
  });

  it("reads a switch as true or false", () => {
    expect(checkField(mlp.skip_zero_grad, "true").value).toBe(true);
    expect(checkField(mlp.skip_zero_grad, "false").value).toBe(false);
  });

  it("writes values back as the form's text, and finds what changed", () => {
    expect(fieldText([16, 16])).toBe("16,16");
    expect(fieldText(null)).toBe("");
    expect(changedKeys({ lr: 0.1, hidden: [16, 16] }, { lr: 0.01, hidden: [16, 16] })).toEqual([
      "lr",
    ]);
  });

  it("writes bounds as intervals", () => {
    expect(boundsText({ exclusiveMinimum: 0, maximum: 10 })).toBe("(0, 10]");
    expect(boundsText({ minimum: 0 })).toBe("≥ 0");
    expect(boundsText({})).toBe("");
  });
});
