// The teaching layer's own state (issue 4): which lesson is open, the batch-size comparison,
// whether the charts are shown. One instance, made by App and handed to the panels.
import type { CompareRun } from "./charts";
import { fetchCompare, lessonById, lessonStillApplies } from "./lessons";
import type { Lesson, LessonId } from "./lessons";
import type { LoopStore } from "./state.svelte";

export type CompareState =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "done"; runs: CompareRun[] }
  | { status: "failed"; message: string };

export class TeachingState {
  private lessonId = $state<LessonId | null>(null);
  compare = $state.raw<CompareState>({ status: "idle" });
  /** The loss slot shows the comparison (true) or this run's loss (false). */
  showCompare = $state(false);
  chartsOpen = $state(true);

  constructor(
    private readonly store: LoopStore,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** The open lesson, while the run is still the one it started. */
  get lesson(): Lesson | null {
    if (this.lessonId === null) return null;
    const lesson = lessonById(this.lessonId);
    const session = this.store.session;
    if (lesson.action.kind === "compare" || !session) return lesson;
    return lessonStillApplies(lesson, session.scenario, session.config) ? lesson : null;
  }

  /** One click: start the lesson's run (or its comparison) and show its explanation. */
  start(id: LessonId): void {
    const lesson = lessonById(id);
    this.lessonId = id;
    this.chartsOpen = true;
    if (lesson.action.kind === "compare") {
      void this.runCompare(lesson);
    } else {
      this.showCompare = false;
      this.store.startRun(lesson.scenario, lesson.config);
    }
  }

  /** The lesson's action: step the run, or train the comparison again. */
  act(): void {
    const lesson = this.lesson;
    if (!lesson) return;
    const action = lesson.action;
    if (action.kind === "compare") void this.runCompare(lesson);
    else this.store.runSteps(action.unit, action.count);
  }

  close(): void {
    this.lessonId = null;
    this.showCompare = false;
  }

  private async runCompare(lesson: Lesson): Promise<void> {
    if (lesson.action.kind !== "compare") return;
    this.showCompare = true;
    this.compare = { status: "loading" };
    const result = await fetchCompare(lesson.action.request, this.fetcher);
    this.compare = result.ok
      ? { status: "done", runs: result.runs }
      : { status: "failed", message: result.message };
  }
}
