// The run settings form, generated from the scenario's config JSON Schema (pure): which
// fields, in what order, what kind of input each needs, its bounds as an interval, and the
// form text of a config value. Every field the schema has is offered; those of another
// optimizer only while that optimizer is chosen.
import { propertySchema } from "./configform";

export type FieldKind = "number" | "integer" | "choice" | "boolean" | "list";

export interface FormField {
  name: string;
  kind: FieldKind;
  /** Empty text means null (torch's default, full batch). */
  nullable: boolean;
  /** The choices of a `choice` field. */
  options: string[];
  /** The bounds as an interval, "(0, 10]"; an item's for a list; "" when unbounded. */
  bounds: string;
  description: string;
}

/** Devices offered in a list: the schema only says "a string of this form". */
export const DEVICES = ["auto", "cpu", "cuda", "mps"];

/** Display order: the optimizer's settings first, the data, the model, then the rest. */
const ORDER = [
  "lr",
  "optimizer",
  "momentum",
  "beta1",
  "beta2",
  "eps",
  "weight_decay",
  "batch_size",
  "loss",
  "n_points",
  "noise",
  "dataset",
  "hidden",
  "activation",
  "corpus",
  "n_embd",
  "block_size",
  "sample_every",
  "sample_length",
  "seed",
  "device",
  "skip_zero_grad",
  "frozen",
];

/** Fields that belong to one kind of optimizer only. */
const FOR_OPTIMIZER: Record<string, readonly string[]> = {
  momentum: ["momentum"],
  beta1: ["adam", "adamw"],
  beta2: ["adam", "adamw"],
  eps: ["adam", "adamw"],
};

type Schema = Record<string, unknown>;

function isRecord(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A rule's bounds as an interval: "(0, 10]", "[1, 64]", "≥ 0"; "" without bounds. */
export function boundsText(rule: Schema): string {
  const gt = num(rule.exclusiveMinimum);
  const ge = num(rule.minimum);
  const lt = num(rule.exclusiveMaximum);
  const le = num(rule.maximum);
  const low = gt ?? ge;
  const high = lt ?? le;
  if (low !== null && high !== null) {
    return `${gt !== null ? "(" : "["}${low}, ${high}${lt !== null ? ")" : "]"}`;
  }
  if (low !== null) return `${gt !== null ? ">" : "≥"} ${low}`;
  if (high !== null) return `${lt !== null ? "<" : "≤"} ${high}`;
  return "";
}

function describe(name: string, prop: Schema): FormField {
  const branches = Array.isArray(prop.anyOf) ? prop.anyOf.filter(isRecord) : [prop];
  const nullable = branches.some((b) => b.type === "null");
  const rule = branches.find((b) => b.type !== "null") ?? {};
  const description = typeof prop.description === "string" ? prop.description : "";
  const base = { name, nullable, options: [] as string[], bounds: "", description };
  if (Array.isArray(rule.enum)) return { ...base, kind: "choice", options: rule.enum.map(String) };
  if (name === "device") return { ...base, kind: "choice", options: DEVICES };
  if (rule.type === "boolean") return { ...base, kind: "boolean" };
  if (rule.type === "array") {
    const items = isRecord(rule.items) ? rule.items : {};
    return { ...base, kind: "list", bounds: boundsText(items) };
  }
  const kind = rule.type === "integer" ? "integer" : "number";
  return { ...base, kind, bounds: boundsText(rule) };
}

/** Every field of the config schema, in display order. */
export function formFields(schema: Schema | null | undefined): FormField[] {
  const props = schema?.properties;
  if (!isRecord(props)) return [];
  const names = Object.keys(props);
  const ordered = [
    ...ORDER.filter((n) => names.includes(n)),
    ...names.filter((n) => !ORDER.includes(n)),
  ];
  return ordered.map((name) => describe(name, propertySchema(schema, name) ?? {}));
}

/** Whether `name` belongs on the form while `optimizer` is chosen. */
export function relevantTo(name: string, optimizer: string): boolean {
  const only = FOR_OPTIMIZER[name];
  return only === undefined || only.includes(optimizer);
}

/** A config value as the form's text (lists comma-separated, null as empty). */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(String).join(",");
  return String(value);
}

/** The keys whose value in `config` differs from `base`. */
export function changedKeys(
  config: Record<string, unknown>,
  base: Record<string, unknown>,
): string[] {
  return Object.keys(config).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(base[k]));
}
