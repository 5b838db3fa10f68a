// The run-settings form checked against the scenario's config JSON Schema (pydantic's, sent
// in the session event) before anything goes to the server, and the server's own refusals
// read back into the same kinds of problem, so the page can say them in its own words (pure).
import type { MessageKey } from "../../i18n/en";

/** What is wrong with one field's value. */
export type FieldProblem =
  | { kind: "required" }
  | { kind: "number" }
  | { kind: "integer" }
  | { kind: "gt" | "ge" | "lt" | "le"; bound: number }
  | { kind: "enum"; options: string[] }
  | { kind: "batch"; bound: number }
  | { kind: "unavailable"; value: string }
  | { kind: "length"; min: number; max: number }
  | { kind: "server"; detail: string };

export interface CheckedField {
  value: unknown;
  problem: FieldProblem | null;
}

export interface CheckedConfig {
  config: Record<string, unknown>;
  problems: Record<string, FieldProblem>;
}

/** The form's fields and the i18n label each is shown with. */
export const FIELD_LABELS: Record<string, MessageKey> = {
  lr: "config.lr",
  optimizer: "config.optimizer",
  batch_size: "config.batchSize",
  seed: "config.seed",
  device: "config.device",
  momentum: "config.momentum",
  beta1: "config.beta1",
  beta2: "config.beta2",
  eps: "config.eps",
  weight_decay: "config.weightDecay",
  skip_zero_grad: "config.skipZeroGrad",
  frozen: "config.frozen",
  loss: "config.loss",
  n_points: "config.nPoints",
  noise: "config.noise",
  hidden: "config.hidden",
  activation: "config.activation",
  dataset: "config.dataset",
  corpus: "config.corpus",
  n_embd: "config.nEmbd",
  block_size: "config.blockSize",
  sample_every: "config.sampleEvery",
  sample_length: "config.sampleLength",
};

type Schema = Record<string, unknown>;

function isRecord(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The property schema of `name` in an object schema (undefined when not described). */
export function propertySchema(
  schema: Schema | null | undefined,
  name: string,
): Schema | undefined {
  const props = schema?.properties;
  if (!isRecord(props)) return undefined;
  const prop = props[name];
  return isRecord(prop) ? prop : undefined;
}

/** Numbers written the way the schema wrote them ("0", "2147483647", "1e-8"). */
function bound(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The first bound `n` breaks, in the schema's order: > min, ≥ min, < max, ≤ max. */
function boundProblem(rule: Schema, n: number): FieldProblem | null {
  const gt = bound(rule.exclusiveMinimum);
  if (gt !== null && !(n > gt)) return { kind: "gt", bound: gt };
  const ge = bound(rule.minimum);
  if (ge !== null && !(n >= ge)) return { kind: "ge", bound: ge };
  const lt = bound(rule.exclusiveMaximum);
  if (lt !== null && !(n < lt)) return { kind: "lt", bound: lt };
  const le = bound(rule.maximum);
  if (le !== null && !(n <= le)) return { kind: "le", bound: le };
  return null;
}

const INTEGER = /^[+-]?\d+$/;

/**
 * Read a field's text as its property schema asks (`type` integer / number / string, an
 * `enum`, bounds, `anyOf` with a null branch: empty text is null) and say what is wrong.
 * Without a schema the text is kept as it is (the server still checks it).
 */
export function checkField(prop: Schema | undefined, text: string): CheckedField {
  const trimmed = text.trim();
  const branches = Array.isArray(prop?.anyOf) ? prop.anyOf.filter(isRecord) : prop ? [prop] : [];
  const nullable = branches.some((b) => b.type === "null");
  const rule = branches.find((b) => b.type !== "null");
  if (rule?.type === "array") return checkList(rule, trimmed);
  if (rule?.type === "boolean") {
    if (trimmed === "true" || trimmed === "false")
      return { value: trimmed === "true", problem: null };
    return { value: trimmed, problem: { kind: "enum", options: ["true", "false"] } };
  }
  if (trimmed === "") {
    if (nullable) return { value: null, problem: null };
    return rule ? { value: text, problem: { kind: "required" } } : { value: text, problem: null };
  }
  if (!rule) return { value: text, problem: null };
  if (Array.isArray(rule.enum)) {
    const options = rule.enum.map(String);
    return options.includes(trimmed)
      ? { value: trimmed, problem: null }
      : { value: trimmed, problem: { kind: "enum", options } };
  }
  if (rule.type === "integer" || rule.type === "number") {
    const n = Number(trimmed);
    if (!Number.isFinite(n)) {
      const kind = rule.type === "integer" ? "integer" : "number";
      return { value: trimmed, problem: { kind } };
    }
    // Digits only: "1e3" and "2.0" are numbers, but not what an integer field should hold.
    if (rule.type === "integer" && !INTEGER.test(trimmed)) {
      return { value: trimmed, problem: { kind: "integer" } };
    }
    return { value: n, problem: boundProblem(rule, n) };
  }
  return { value: trimmed, problem: null };
}

/** A comma-separated list read item by item (`items`), within `minItems`…`maxItems`. */
function checkList(rule: Schema, text: string): CheckedField {
  const parts = text === "" ? [] : text.split(",").map((p) => p.trim());
  const items = isRecord(rule.items) ? rule.items : undefined;
  const values: unknown[] = [];
  for (const part of parts) {
    const item = checkField(items, part);
    if (item.problem) return { value: text, problem: item.problem };
    values.push(item.value);
  }
  const min = bound(rule.minItems) ?? 0;
  const max = bound(rule.maxItems) ?? Infinity;
  if (values.length < min || values.length > max) {
    return { value: text, problem: { kind: "length", min, max } };
  }
  return { value: values, problem: null };
}

/**
 * The form as a config: `base` (the run's config) with each field read by `checkField`,
 * plus the one rule that spans two fields: a mini-batch no larger than the data.
 */
export function checkConfig(
  schema: Schema | null | undefined,
  fields: Record<string, string>,
  base: Record<string, unknown> = {},
): CheckedConfig {
  const config: Record<string, unknown> = { ...base };
  const problems: Record<string, FieldProblem> = {};
  for (const [name, text] of Object.entries(fields)) {
    const checked = checkField(propertySchema(schema, name), text);
    config[name] = checked.value;
    if (checked.problem) problems[name] = checked.problem;
  }
  const batch = config.batch_size;
  const points = config.n_points;
  if (
    !problems.batch_size &&
    typeof batch === "number" &&
    typeof points === "number" &&
    batch > points
  ) {
    problems.batch_size = { kind: "batch", bound: points };
  }
  return { config, problems };
}

/** "config.lr" → "lr"; null for a field outside the config. */
export function configFieldName(field: string | null | undefined): string | null {
  if (!field?.startsWith("config.")) return null;
  const name = field.slice("config.".length).split(".")[0];
  return name ? name : null;
}

/**
 * A server refusal read back into a problem. pydantic's messages ("Input should be greater
 * than 0") and the engine's own ("mps is not available here") map to kinds; anything else
 * keeps its text as the detail.
 */
export function problemFromServer(message: string): FieldProblem {
  // "config.lr: Input should be …": the field is shown by its label, so drop the prefix.
  const detail = message.replace(/^[\w.]+:\s*/, "");
  const num = String.raw`([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`;
  const rules: [RegExp, (m: RegExpMatchArray) => FieldProblem][] = [
    [new RegExp(`greater than or equal to ${num}`), (m) => ({ kind: "ge", bound: Number(m[1]) })],
    [new RegExp(`greater than ${num}`), (m) => ({ kind: "gt", bound: Number(m[1]) })],
    [new RegExp(`less than or equal to ${num}`), (m) => ({ kind: "le", bound: Number(m[1]) })],
    [new RegExp(`less than ${num}`), (m) => ({ kind: "lt", bound: Number(m[1]) })],
    [new RegExp(`exceeds n_points ${num}`), (m) => ({ kind: "batch", bound: Number(m[1]) })],
    [/valid integer/, () => ({ kind: "integer" })],
    [/valid number/, () => ({ kind: "number" })],
    [
      /^(\S+) (?:is not available here|does not exist)/,
      (m) => ({
        kind: "unavailable",
        value: m[1] ?? "",
      }),
    ],
  ];
  for (const [pattern, make] of rules) {
    const m = detail.match(pattern);
    if (m) return make(m);
  }
  return { kind: "server", detail };
}

/** The message key and parameters that say `problem` about the field labelled `field`. */
export function problemMessage(
  problem: FieldProblem,
  field: string,
): { key: MessageKey; params: Record<string, string | number> } {
  switch (problem.kind) {
    case "gt":
    case "ge":
    case "lt":
    case "le":
    case "batch":
      return { key: `config.problem.${problem.kind}`, params: { field, bound: problem.bound } };
    case "enum":
      return {
        key: "config.problem.enum",
        params: { field, options: problem.options.join(", ") },
      };
    case "unavailable":
      return { key: "config.problem.unavailable", params: { field, value: problem.value } };
    case "length":
      return {
        key: "config.problem.length",
        params: { field, min: problem.min, max: problem.max },
      };
    case "server":
      return { key: "config.problem.server", params: { field, detail: problem.detail } };
    default:
      return { key: `config.problem.${problem.kind}`, params: { field } };
  }
}
