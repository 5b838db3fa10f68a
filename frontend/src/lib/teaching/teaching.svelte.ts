// The teaching layer's own state: which lesson is open, the batch-size comparison,
// whether the charts are shown. One instance, made by App and handed to the panels.
//
// A lesson lives as long as its run: it ends when the scenario changes or the run stops
// having the lesson's setting (e.g. the zero_grad switch turned off). Starting a lesson
// starts the scenario from its defaults plus the lesson's one setting; closing it puts the
// defaults back (restarting the run only when some setting differs).
import type { CompareRun } from "../charts/charts";
import {
  changedSettings,
  fetchCompare,
  lessonById,
  lessonStillApplies,
  stepCommands,
} from "./lessons";
import type { Lesson, LessonId } from "./lessons";
import type { SessionEvent } from "../wire/protocol";
import { schemaDefaults } from "../store/scenarios";
import type { LoopStore } from "../store/state.svelte";

export type CompareState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "done"; runs: CompareRun[] }
  | { status: "failed"; message: string };

export class TeachingState {
  private lessonId = $state<LessonId | null>(null);
  /** True from a lesson's start until the session of its run arrives. */
  private awaiting = false;
  compare = $state.raw<CompareState>({ status: "idle" });
  /** The loss slot shows the comparison (true) or this run's loss (false). */
  showCompare = $state(false);
  chartsOpen = $state(true);
  /** True while a lesson's action is sending its commands one frame at a time. */
  stepping = $state(false);

  constructor(
    private readonly store: LoopStore,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {
    store.onSession((event) => this.followRun(event));
  }

  /** The open lesson. */
  get lesson(): Lesson | null {
    return this.lessonId === null ? null : lessonById(this.lessonId);
  }

  /** One click: start the lesson's run from a clean config (and its comparison). */
  start(id: LessonId): void {
    const lesson = lessonById(id);
    this.lessonId = id;
    this.awaiting = true;
    this.chartsOpen = true;
    this.compare = { status: "idle" };
    this.showCompare = false;
    this.store.startRun(lesson.scenario, lesson.config);
    if (lesson.action.kind === "compare") void this.runCompare(lesson);
  }

  /** The lesson's action: step the run, or train the comparison again. */
  act(): void {
    const lesson = this.lesson;
    if (!lesson) return;
    const action = lesson.action;
    if (action.kind === "compare") void this.runCompare(lesson);
    else void this.runSteps(lesson);
  }

  /** Each command once the previous one's frame came back (a frame per command). */
  private async runSteps(lesson: Lesson): Promise<void> {
    if (this.stepping) return;
    this.stepping = true;
    try {
      for (const [unit, count] of stepCommands(lesson.action)) {
        if (this.lessonId !== lesson.id) return;
        const before = this.store.frames;
        this.store.runSteps(unit, count);
        if (!(await this.frameAfter(before))) return;
      }
    } finally {
      this.stepping = false;
    }
  }

  /** Resolves true once a frame past `before` arrived, false when none came in 20 s. */
  private frameAfter(before: number): Promise<boolean> {
    return new Promise((resolve) => {
      const started = Date.now();
      const check = () => {
        if (this.store.frames > before) resolve(true);
        else if (Date.now() - started > 20_000) resolve(false);
        else setTimeout(check, 15);
      };
      check();
    });
  }

  /** End the lesson and put the scenario's default settings back. */
  close(): void {
    const session = this.store.live.session;
    this.end();
    if (!session?.scenario) return;
    const defaults = schemaDefaults(session.config_schema);
    if (changedSettings(session.config ?? {}, defaults).length) {
      this.store.startRun(session.scenario, {});
    }
  }

  private end(): void {
    this.lessonId = null;
    this.awaiting = false;
    this.showCompare = false;
    this.compare = { status: "idle" };
  }

  /** Each new session: the lesson ends once the run is no longer the lesson's. */
  private followRun(event: SessionEvent): void {
    if (this.lessonId === null) return;
    const applies =
      event.scenario !== null &&
      lessonStillApplies(lessonById(this.lessonId), event.scenario, event.config ?? {});
    if (this.awaiting) {
      // Sessions already on their way before the lesson's run do not end it.
      if (applies) this.awaiting = false;
      return;
    }
    if (!applies) this.end();
  }

  private async runCompare(lesson: Lesson): Promise<void> {
    if (lesson.action.kind !== "compare") return;
    this.showCompare = true;
    this.compare = { status: "loading" };
    const result = await fetchCompare(lesson.action.request, this.fetcher);
    // Closed, or another lesson started, while the server trained: drop the answer.
    if (this.lessonId !== lesson.id) return;
    this.compare = result.ok
      ? { status: "done", runs: result.runs }
      : { status: "failed", message: result.message };
  }
}
