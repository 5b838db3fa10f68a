// The scenario, its config and the language in the URL hash, so a link reproduces a view
// (pure). One declared table says how each config field is written, as in TensorFlow
// Playground; only the fields that differ from the scenario's defaults are written.
//
//   #scenario=linear&lr=0.02&frozen=linear.bias&lang=zh
//
// A share link also carries where the run stands and the `set`s that made its branch, so
// opening it replays the same commands and lands on the same numbers:
//
//   #scenario=linear&set=12:lr=0.1&set=30.loss:lr=0.05&at=40&lang=en
//
// `at=40` waits before forward of iteration 40; `at=40.backward` before its backward.
import { PHASES, SCENARIOS } from "../wire/protocol";
import type { PhaseName, ScenarioName } from "../wire/protocol";
import { PHASES_PER_ITERATION } from "./timeline";

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

/** One `set` of the branch: made when `position` phases had run; the values it wrote. */
export interface LinkedSet {
  position: number;
  changes: Record<string, number | boolean>;
}

export interface HashState {
  scenario: ScenarioName | null;
  /** Phases run at the linked position (absent: the start). */
  position?: number;
  /** The branch's `set`s, oldest first. */
  sets?: readonly LinkedSet[];
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

/** A position in phases as `iteration` or `iteration.next_phase`. */
export function formatPosition(position: number): string {
  const iteration = Math.floor(position / PHASES_PER_ITERATION);
  const phase = PHASES[position % PHASES_PER_ITERATION] as PhaseName;
  return phase === "forward" ? String(iteration) : `${iteration}.${phase}`;
}

/** `iteration` or `iteration.next_phase` as a position in phases; null when malformed. */
export function parsePosition(text: string): number | null {
  const m = /^(\d{1,9})(?:\.([a-z_]+))?$/.exec(text.trim());
  if (!m) return null;
  const phase = (m[2] ?? "forward") as PhaseName;
  const index = PHASES.indexOf(phase);
  if (index < 0) return null;
  return Number(m[1]) * PHASES_PER_ITERATION + index;
}

function formatSet(set: LinkedSet): string {
  const changes = Object.entries(set.changes).map(([k, v]) => `${k}=${String(v)}`);
  return `${formatPosition(set.position)}:${changes.join(";")}`;
}

function parseSet(text: string): LinkedSet | null {
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  const position = parsePosition(text.slice(0, colon));
  if (position === null) return null;
  const changes: Record<string, number | boolean> = {};
  for (const part of text.slice(colon + 1).split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) return null;
    const key = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    const value = raw === "true" ? true : raw === "false" ? false : Number(raw);
    if (typeof value === "number" && (raw.trim() === "" || !Number.isFinite(value))) return null;
    changes[key] = value;
  }
  return { position, changes };
}

/** Where a link puts the run: its position and the sets of its branch (both optional). */
export interface HashPlace {
  position?: number;
  sets?: readonly LinkedSet[];
}

/** `#scenario=…&field=…&lang=…` for a run: the fields that differ from `defaults`. */
export function formatHash(
  state: { scenario: ScenarioName; config: Record<string, unknown>; lang: HashLang },
  defaults: Record<string, unknown> = {},
  place: HashPlace = {},
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
  for (const set of place.sets ?? []) params.append("set", formatSet(set));
  if (place.position) params.set("at", formatPosition(place.position));
  params.set("lang", state.lang);
  // URLSearchParams escapes "," ":" ";" "="; a link reads better with them plain (a value
  // is split at its first "=" only, so they parse back the same).
  const text = params.toString();
  return `#${text.replaceAll("%2C", ",").replaceAll("%3A", ":").replaceAll("%3B", ";").replaceAll("%3D", "=")}`;
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
  let position: number | undefined;
  const sets: LinkedSet[] = [];
  for (const [key, value] of params) {
    if (key === "at") {
      position = parsePosition(value) ?? undefined;
    } else if (key === "set") {
      const set = parseSet(value);
      if (set) sets.push(set);
    } else if (key === "scenario") {
      if ((SCENARIOS as readonly string[]).includes(value)) scenario = value as ScenarioName;
      else unknownScenario = value;
    } else if (key === "lang") {
      if (value === "en" || value === "zh") lang = value;
    } else if (key) {
      config[key] = decodeValue(CONFIG_FIELDS[key], value);
    }
  }
  const place: HashPlace = {};
  if (position !== undefined) place.position = position;
  if (sets.length) place.sets = sets.sort((a, b) => a.position - b.position);
  if (unknownScenario !== undefined) return { scenario, config, lang, unknownScenario, ...place };
  if (scenario === null && lang === null && Object.keys(config).length === 0) return null;
  return { scenario, config, lang, ...place };
}

/** True when two hashes ask for the same scenario and config (the language aside). */
export function sameRunHash(a: HashState | null, b: HashState | null): boolean {
  if (!a || !b) return a === b;
  return a.scenario === b.scenario && same(sortKeys(a.config), sortKeys(b.config));
}

function sortKeys(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).sort(([x], [y]) => x.localeCompare(y)));
}
