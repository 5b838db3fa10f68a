// Which run the page holds: starting one (a scenario and its settings, a link's replay),
// taking it back after a dropped connection (`resume`), settings written into the running
// loop (`set`), and what each session event or refusal changes about that.
import type { ErrorEvent, PhaseName, ScenarioName, SessionEvent } from "../wire/protocol";
import type { StoreOptions, TokenStore } from "./options";
import { lossesThrough } from "./losses";
import { replayPlan } from "./replay";
import { DetailRequests } from "./requests.svelte";
import { fallbackScenarios } from "./scenarios";
import type { ScenarioInfo } from "./scenarios";
import type { LinkedSet } from "./urlstate";

/**
 * A reload can reach the server before the old page's socket has closed there, so its run is
 * parked a moment after our `resume` was refused: ask once more after this long before giving
 * the run up and starting over.
 */
export const RESUME_RETRY_MS = 1000;

export type SessionListener = (event: SessionEvent, previous: SessionEvent | null) => void;

/** What the latest change of settings did: written into the running loop, or a new run. */
export interface ConfigNote {
  kind: "set" | "restart";
  changes: Record<string, unknown>;
  /** Where the run stood when it took effect (the next phase it runs). */
  iteration: number;
  phase: PhaseName;
}

/** A link's place to reach once its run has started. */
export interface PendingReplay {
  position: number;
  sets: readonly LinkedSet[];
}

export class Runs extends DetailRequests {
  scenario = $state<ScenarioName>("linear");
  config = $state.raw<Record<string, unknown>>({});
  scenarios = $state.raw<ScenarioInfo[]>(fallbackScenarios());
  /** What the latest settings change did (see ConfigNote). */
  configNote = $state.raw<ConfigNote | null>(null);
  /** Sets a shared link held that could not be replayed (the link says so). */
  linkSkipped = $state(0);

  private pendingNote: Omit<ConfigNote, "iteration" | "phase"> | null = null;
  private pendingReplay: PendingReplay | null = null;
  /** The run's secret from its session event: sent in `resume` after a dropped connection. */
  private token: string | null = null;
  private resuming = false;
  private resumeRetried = false;
  private readonly later: (fn: () => void, ms: number) => void;
  private readonly tokenStore: TokenStore | null;
  private sessionListeners: SessionListener[] = [];

  constructor(options: StoreOptions) {
    super(options);
    this.tokenStore = options.tokenStore ?? null;
    this.token = this.tokenStore?.load() ?? null;
    this.later = options.later ?? ((fn, ms) => void setTimeout(fn, ms));
  }

  /**
   * A connection opened: take our run back if the server may still hold it (same numbers,
   * same history), else start the current scenario with the current config.
   */
  connected(linked: PendingReplay | null = null): void {
    if (this.token) {
      this.resuming = true;
      this.resumeRetried = false;
      this.command({ type: "resume", token: this.token });
    } else {
      this.startRun(this.scenario, this.config, linked);
    }
  }

  /** Start the scenario with a config (the server fills in what the config leaves out);
   * with `replay`, then go to a link's position through the sets of its branch. */
  startRun(
    scenario: ScenarioName = this.scenario,
    config = this.config,
    replay: PendingReplay | null = null,
  ): void {
    this.scenario = scenario;
    this.config = config;
    this.pendingReplay = replay && (replay.position > 0 || replay.sets.length) ? replay : null;
    this.command({ type: "start", scenario, config });
  }

  /** Restart with a new config; the note then says the run started over with `changes`. */
  restartWith(config: Record<string, unknown>, changes: Record<string, unknown>): void {
    this.startRun(this.scenario, config);
    this.pendingNote = { kind: "restart", changes };
  }

  /** Write `changes` into the running loop's optimizer (`set`): the run goes on. */
  applySettings(changes: Record<string, number | boolean>): void {
    if (this.command({ type: "set", ...changes })) this.pendingNote = { kind: "set", changes };
  }

  /** The teaching switches this run has on: zero_grad() skipped, parameters frozen. */
  get teachingSwitches(): { skipZeroGrad: boolean; frozen: string[] } {
    const config = this.live.session?.config ?? {};
    const frozen = Array.isArray(config.frozen) ? config.frozen.map(String) : [];
    return { skipZeroGrad: config.skip_zero_grad === true, frozen };
  }

  /** Run optimizer.zero_grad() again from the next iteration on (same run, via `set`). */
  restoreZeroGrad(): void {
    this.command({ type: "set", skip_zero_grad: false });
  }

  /** Unfreeze every parameter: requires_grad is chosen when the model is built, so restart. */
  unfreezeAll(): void {
    this.startRun(this.scenario, { ...this.config, frozen: [] });
  }

  setScenarios(list: ScenarioInfo[]): void {
    if (list.length) this.scenarios = list;
  }

  /** Call `listener` after each session event is applied (the lessons end with their run). */
  onSession(listener: SessionListener): () => void {
    this.sessionListeners.push(listener);
    return () => {
      this.sessionListeners = this.sessionListeners.filter((l) => l !== listener);
    };
  }

  protected applySession(event: SessionEvent, previous: SessionEvent | null): void {
    this.applySpeed(event, previous);
    this.noteSession(event, previous);
    this.resuming = false;
    // Each resume answers with a new token (the old one is spent): keep the newest.
    this.token = event.token ?? null;
    this.tokenStore?.save(this.token);
    // A run of a built-in scenario is what the picker and the settings form show.
    if (event.scenario !== null) {
      this.scenario = event.scenario;
      this.config = event.config ?? {};
    }
    // A rewind keeps the losses before its iteration; anything else starts them over.
    const through = this.live.lossesThrough;
    this.losses = lossesThrough(this.losses, through);
    this.animator.finish();
    for (const listener of this.sessionListeners) listener(event, previous);
  }

  /** The note a settings change leaves, and a link's replay once its run has started. */
  private noteSession(event: SessionEvent, previous: SessionEvent | null): void {
    const where = { iteration: event.iteration, phase: event.next_phase };
    if (this.pendingNote) {
      this.configNote = { ...this.pendingNote, ...where };
      this.pendingNote = null;
    } else if (previous === null || previous.run_id !== event.run_id) {
      this.configNote = null;
    }
    const replay = this.pendingReplay;
    if (replay && event.iteration === 0 && event.next_phase === "forward") {
      this.pendingReplay = null;
      const plan = replayPlan(replay.position, replay.sets);
      this.linkSkipped = plan.skipped;
      for (const command of plan.commands) this.command(command);
    }
  }

  protected applyError(event: ErrorEvent): void {
    if (this.takeRefusal(event)) return; // shown where the learner asked
    const session = this.live.session;
    if (event.field !== null && event.field !== undefined && this.pendingNote) {
      this.pendingNote = null; // the change was refused: nothing to note
    }
    if (this.resuming && event.code === "not_found" && !this.resumeRetried && this.token) {
      this.resumeRetried = true;
      const token = this.token;
      this.later(() => {
        if (this.resuming && this.token === token) this.command({ type: "resume", token });
      }, RESUME_RETRY_MS);
    } else if (this.resuming && event.code === "not_found") {
      // The server no longer holds our run (grace period over, or restarted): start anew.
      this.resuming = false;
      this.token = null;
      this.tokenStore?.save(null);
      this.startRun();
    } else if (session === null && event.code === "invalid_config") {
      // The first run's config (from a shared link) was refused: say why, run the defaults.
      this.pushError(event);
      this.startRun(this.scenario, {});
    } else {
      // A refused start leaves the run as it was: so do the scenario and config we keep.
      if (session?.scenario && event.field?.startsWith("config.")) {
        this.scenario = session.scenario;
        this.config = session.config ?? {};
      }
      this.pushError(event);
    }
  }
}
