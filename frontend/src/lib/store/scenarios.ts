// /api/scenarios → names, descriptions and config schemas (pure parsing, one fetch helper).
import { SCENARIOS } from "../wire/protocol";
import type { ScenarioName } from "../wire/protocol";

export interface ScenarioInfo {
  name: ScenarioName;
  /** The server's own name for it (one language), for a scenario whose model is not the one
   * the page's name says; null: the page names it in the learner's language. */
  title: string | null;
  description: string;
  /** JSON Schema of the scenario's config (pydantic's), or null when not given. */
  schema: Record<string, unknown> | null;
  /** The config's defaults, read from the schema's `default`s. */
  defaults: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScenarioName(value: unknown): value is ScenarioName {
  return typeof value === "string" && (SCENARIOS as readonly string[]).includes(value);
}

/** Each property's `default` in a JSON Schema object. */
export function schemaDefaults(schema: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = schema?.properties;
  if (!isRecord(props)) return out;
  for (const [name, prop] of Object.entries(props)) {
    if (isRecord(prop) && "default" in prop) out[name] = prop.default;
  }
  return out;
}

function one(name: unknown, body: unknown): ScenarioInfo | null {
  const record = isRecord(body) ? body : {};
  const realName = isScenarioName(name) ? name : record.name;
  if (!isScenarioName(realName)) return null;
  const schemaRaw = record.config_schema ?? record.schema ?? record.config;
  const schema = isRecord(schemaRaw) && "properties" in schemaRaw ? schemaRaw : null;
  const description = typeof record.description === "string" ? record.description : "";
  const title = typeof record.title === "string" && record.title ? record.title : null;
  const defaults = isRecord(record.defaults) ? record.defaults : schemaDefaults(schema);
  return { name: realName, title, description, schema, defaults };
}

/**
 * Accepts a list of {name, description, config_schema} objects, an object keyed by
 * name, or either wrapped as {scenarios: …}; unknown names are skipped.
 */
export function parseScenarios(body: unknown): ScenarioInfo[] {
  const root = isRecord(body) && "scenarios" in body ? body.scenarios : body;
  const found: ScenarioInfo[] = [];
  if (Array.isArray(root)) {
    for (const item of root) {
      const info = one(isRecord(item) ? item.name : item, item);
      if (info) found.push(info);
    }
  } else if (isRecord(root)) {
    for (const [name, item] of Object.entries(root)) {
      const info = one(name, item);
      if (info) found.push(info);
    }
  }
  return found;
}

/** The scenarios the protocol knows, without descriptions: used until /api/scenarios answers. */
export function fallbackScenarios(): ScenarioInfo[] {
  return SCENARIOS.map((name) => ({
    name,
    title: null,
    description: "",
    schema: null,
    defaults: {},
  }));
}

/** GET /api/scenarios; the fallback list when it fails. */
export async function fetchScenarios(fetcher: typeof fetch = fetch): Promise<ScenarioInfo[]> {
  try {
    const response = await fetcher("/api/scenarios");
    if (!response.ok) return fallbackScenarios();
    const parsed = parseScenarios(await response.json());
    return parsed.length ? parsed : fallbackScenarios();
  } catch {
    return fallbackScenarios();
  }
}
