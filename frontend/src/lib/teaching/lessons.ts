// Lessons that break the loop on purpose, one click each (pure, plus one fetch helper).
//
// Each lesson is a run of a scenario with one setting changed, and an action that makes the
// effect show: a few iterations, or a comparison trained headless by the server.
import type { CompareRun } from "../charts/charts";
import { parseCompare } from "../charts/charts";
import type { ScenarioName, StepUnit } from "../wire/protocol";

export type LessonId =
  "no-zero-grad" | "lr-too-high" | "frozen-bias" | "batch-sizes" | CharlmLessonId;

/** Lessons on the character language model; their numbers come from lessonslive.ts. */
export type CharlmLessonId = "rows-learn" | "uniform-loss" | "sampling";

export interface CompareRequest {
  scenario: ScenarioName;
  config: Record<string, unknown>;
  variants: Record<string, unknown>[];
  epochs: number;
}

/**
 * A lesson's action: `count` units, the first `oneByOne` of them one command (and one frame)
 * each, so that what they do is drawn step by step (the landscape's path has a point per
 * frame); the rest in one command. Or a comparison trained by the server.
 */
export type LessonAction =
  | { kind: "step"; unit: StepUnit; count: number; oneByOne?: number }
  | { kind: "compare"; request: CompareRequest };

export interface Lesson {
  id: LessonId;
  scenario: ScenarioName;
  /** The run the lesson starts: the scenario's defaults with these settings. */
  config: Record<string, unknown>;
  action: LessonAction;
  /** The panel that shows the effect (its data-testid), when it is not the loss chart. */
  panel?: string;
}

/** The notes' table: gradient descent (all data), stochastic (one sample), mini-batch (ten). */
export const BATCH_VARIANTS: readonly Record<string, unknown>[] = [
  { batch_size: null },
  { batch_size: 1 },
  { batch_size: 10 },
];

export const LESSONS: readonly Lesson[] = [
  {
    id: "no-zero-grad",
    scenario: "linear",
    config: { skip_zero_grad: true },
    // Phase by phase: backward's capture (the gradient sent into .grad) is kept, so the
    // .grad box can show g₀ + g₁ with torch's own numbers.
    action: { kind: "step", unit: "phase", count: 5, oneByOne: 5 },
  },
  {
    id: "lr-too-high",
    scenario: "linear",
    // 0.03·λ_max > 2: every step overshoots the valley a little more than the last. The
    // first 16 steps one frame each draw the zigzag; the rest run on until float32 overflows.
    config: { lr: 0.03 },
    action: { kind: "step", unit: "iteration", count: 300, oneByOne: 16 },
  },
  {
    id: "frozen-bias",
    scenario: "linear",
    config: { frozen: ["linear.bias"] },
    action: { kind: "step", unit: "iteration", count: 1 },
  },
  {
    id: "batch-sizes",
    scenario: "linear",
    config: {},
    action: {
      kind: "compare",
      request: { scenario: "linear", config: {}, variants: [...BATCH_VARIANTS], epochs: 30 },
    },
  },
  {
    id: "rows-learn",
    scenario: "charlm",
    // English and four windows: a batch uses a few dozen of the table's rows, not most.
    config: { corpus: "english", batch_size: 4 },
    action: { kind: "step", unit: "phase", count: 1 },
    panel: "charlm-rows",
  },
  {
    id: "uniform-loss",
    scenario: "charlm",
    config: { corpus: "english" },
    action: { kind: "step", unit: "iteration", count: 200 },
  },
  {
    id: "sampling",
    scenario: "charlm",
    config: { corpus: "english", sample_every: 100 },
    action: { kind: "step", unit: "iteration", count: 300 },
    panel: "charlm-sample",
  },
];

/** The commands an action sends, in order: [unit, count] each. */
export function stepCommands(action: LessonAction): [StepUnit, number][] {
  if (action.kind !== "step") return [];
  const single = Math.min(action.count, Math.max(0, action.oneByOne ?? 0));
  const commands: [StepUnit, number][] = Array.from({ length: single }, () => [action.unit, 1]);
  if (action.count > single) commands.push([action.unit, action.count - single]);
  return commands;
}

export function lessonById(id: LessonId): Lesson {
  const lesson = LESSONS.find((l) => l.id === id);
  if (!lesson) throw new Error(`no lesson ${id}`);
  return lesson;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** True while the run is still the lesson's: its scenario, with the lesson's settings. */
export function lessonStillApplies(
  lesson: Lesson,
  scenario: ScenarioName,
  config: Record<string, unknown>,
): boolean {
  if (scenario !== lesson.scenario) return false;
  return Object.entries(lesson.config).every(([k, v]) => same(config[k], v));
}

/** Settings whose default the JSON Schema cannot show (pydantic's default_factory). */
const IMPLICIT_DEFAULTS: Readonly<Record<string, unknown>> = { frozen: [], skip_zero_grad: false };

/**
 * The settings of `config` that differ from the scenario's `defaults` (what closing a
 * lesson puts back). Fields the defaults do not name are not counted.
 */
export function changedSettings(
  config: Record<string, unknown>,
  defaults: Record<string, unknown>,
): string[] {
  const base = { ...IMPLICIT_DEFAULTS, ...defaults };
  return Object.keys(config)
    .filter((k) => k in base && !same(config[k], base[k]))
    .sort();
}

/** Which variant a comparison run is: "GD", "SGD" or "mini-batch". */
export function variantKind(run: CompareRun): "gd" | "sgd" | "minibatch" {
  if (run.n_batches <= 1) return "gd";
  return run.batch_size === 1 ? "sgd" : "minibatch";
}

export type CompareResult = { ok: true; runs: CompareRun[] } | { ok: false; message: string };

/** POST /api/compare; the server's own message when it refuses. */
export async function fetchCompare(
  request: CompareRequest,
  fetcher: typeof fetch = fetch,
): Promise<CompareResult> {
  try {
    const response = await fetcher("/api/compare", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    const body: unknown = await response.json();
    if (!response.ok) {
      const message =
        typeof body === "object" && body !== null && "message" in body
          ? String((body as { message: unknown }).message)
          : `HTTP ${response.status}`;
      return { ok: false, message };
    }
    const runs = parseCompare(body);
    return runs
      ? { ok: true, runs }
      : { ok: false, message: "unexpected answer from /api/compare" };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
