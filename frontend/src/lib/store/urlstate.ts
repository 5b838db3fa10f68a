// The scenario, its config and the language in the URL hash, so a link reproduces a view
// (pure). One declared table says how each config field is written, as in TensorFlow
// Playground; only the fields that differ from the scenario's defaults are written.
//
//   #scenario=linear&lr=0.02&frozen=linear.bias&lang=zh
import { SCENARIOS } from "../wire/protocol";
import type { ScenarioName } from "../wire/protocol";

export type HashLang = "en" | "zh";

/** How a config field is written in the hash. */
type FieldKind =
  "number" | "nullable-number" | "string" | "boolean" | "string-list" | "number-list";

/** Every config field of every scenario (see `GET /api/scenarios`), in the order written. */
export const CONFIG_FIELDS: Readonly<Record<string, FieldKind>> = {
  lr: "number",
  optimizer: "string",
  momentum: "number",
  beta1: "number",
  beta2: "number",
  eps: "number",
  weight_decay: "nullable-number",
  batch_size: "nullable-number",
  skip_zero_grad: "boolean",
  frozen: "string-list",
  loss: "string",
  n_points: "number",
  noise: "number",
  seed: "number",
  device: "string",
  dataset: "string",
  hidden: "number-list",
  activation: "string",
};

/** Defaults the JSON Schema cannot show (pydantic's default_factory writes no `default`). */
const IMPLICIT_DEFAULTS: Readonly<Record<string, unknown>> = { frozen: [] };

export interface HashState {
  scenario: ScenarioName | null;
  /** A `scenario=` this page does not have (it is told, then the current one runs). */
  unknownScenario?: string;
  config: Record<string, unknown>;
  lang: HashLang | null;
}

function encodeValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return value.map((v) => String(v)).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function parseNumber(text: string): number | string {
  const n = Number(text);
  // Keep text that is not a number: the server names the field and says what it expected.
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}

/** A field we have no row for: JSON when it parses, else the text. */
function decodeUnknown(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function decodeValue(kind: FieldKind | undefined, text: string): unknown {
  switch (kind) {
    case "number":
      return parseNumber(text);
    case "nullable-number":
      return text === "null" || text === "" ? null : parseNumber(text);
    case "boolean":
      return text === "true" || text === "1"
        ? true
        : text === "false" || text === "0"
          ? false
          : text;
    case "string":
      return text;
    case "string-list":
      return text === "" ? [] : text.split(",");
    case "number-list":
      return text === "" ? [] : text.split(",").map(parseNumber);
    default:
      return decodeUnknown(text);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `#scenario=…&field=…&lang=…` for a run: the fields that differ from `defaults`. */
export function formatHash(
  state: { scenario: ScenarioName; config: Record<string, unknown>; lang: HashLang },
  defaults: Record<string, unknown> = {},
): string {
  const base = { ...IMPLICIT_DEFAULTS, ...defaults };
  const params = new URLSearchParams();
  params.set("scenario", state.scenario);
  const known = Object.keys(CONFIG_FIELDS).filter((k) => k in state.config);
  const unknown = Object.keys(state.config)
    .filter((k) => !(k in CONFIG_FIELDS))
    .sort();
  for (const key of [...known, ...unknown]) {
    const value = state.config[key];
    if (key in base && same(value, base[key])) continue;
    params.set(key, encodeValue(value));
  }
  params.set("lang", state.lang);
  // URLSearchParams writes "," as %2C; a link reads better with plain commas.
  return `#${params.toString().replaceAll("%2C", ",")}`;
}

/** The state a hash asks for; null when it names no scenario, config or language. */
export function parseHash(hash: string): HashState | null {
  const text = hash.startsWith("#") ? hash.slice(1) : hash;
  if (!text.trim()) return null;
  const params = new URLSearchParams(text);
  let scenario: ScenarioName | null = null;
  let unknownScenario: string | undefined;
  let lang: HashLang | null = null;
  const config: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === "scenario") {
      if ((SCENARIOS as readonly string[]).includes(value)) scenario = value as ScenarioName;
      else unknownScenario = value;
    } else if (key === "lang") {
      if (value === "en" || value === "zh") lang = value;
    } else if (key) {
      config[key] = decodeValue(CONFIG_FIELDS[key], value);
    }
  }
  if (unknownScenario !== undefined) return { scenario, config, lang, unknownScenario };
  if (scenario === null && lang === null && Object.keys(config).length === 0) return null;
  return { scenario, config, lang };
}

/** True when two hashes ask for the same scenario and config (the language aside). */
export function sameRunHash(a: HashState | null, b: HashState | null): boolean {
  if (!a || !b) return a === b;
  return a.scenario === b.scenario && same(sortKeys(a.config), sortKeys(b.config));
}

function sortKeys(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).sort(([x], [y]) => x.localeCompare(y)));
}
