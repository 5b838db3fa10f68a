// Real frames recorded from the server by scripts/record-fixtures.py, for tests.
import { readFileSync } from "node:fs";
import type { Command, PhaseEvent, ServerEvent } from "../wire/protocol";

export interface Fixture {
  commands: Command[];
  frames: ServerEvent[];
}

export type TeachingName = "sgd" | "momentum" | "momentum-wd" | "adam" | "adamw" | "l1" | "classify";
export type FixtureName =
  | "linear"
  | "mlp"
  | "diverge"
  | "errors"
  | `teaching-${TeachingName}`
  // a traced script's page (scripts/record-trace-fixtures.py)
  | "trace-raises"
  | "trace-two-files";
export const TEACHING: readonly TeachingName[] = [
  "sgd",
  "momentum",
  "momentum-wd",
  "adam",
  "adamw",
  "l1",
  "classify",
];

/** One recorded fixture: the commands sent and every event received, in order. */
export function loadFixture(name: FixtureName): Fixture {
  const url = new URL(`./${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Fixture;
}

/** The body /api/scenarios returned. */
export function loadScenarios(): unknown {
  return JSON.parse(readFileSync(new URL("./scenarios.json", import.meta.url), "utf8"));
}

/** Just the phase events of a fixture. */
export function phaseEvents(fixture: Fixture): PhaseEvent[] {
  return fixture.frames.filter((f): f is PhaseEvent => f.type === "phase");
}
