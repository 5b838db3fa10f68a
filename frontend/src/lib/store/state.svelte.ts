// The one store of a learner's session, fed by server events; views only read it.
//
// Big payloads (session, graph, phase events) are kept with $state.raw: they are
// replaced whole on every frame, never mutated, so deep proxies would only cost time.
import { Animator, phaseDuration, prefersReducedMotion } from "../util/animation";
import type { Clock } from "../util/animation";
import type {
  CaptureByPhase,
  Command,
  ErrorEvent,
  GraphEvent,
  LossPoint,
  ParamReference,
  PhaseEvent,
  PhaseName,
  ScenarioName,
  ServerEvent,
  SessionEvent,
  StepUnit,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import { lossPoints } from "../wire/protocol";
import { fallbackScenarios } from "./scenarios";
import { closestSpeedIndex, DEFAULT_SPEED, speedsFor } from "./speeds";
import type { Speed } from "./speeds";
import type { ScenarioInfo } from "./scenarios";
import type { ConnectionState } from "../wire/socket";
import {
  FrameBuffer,
  MAX_FRAMES,
  movedIndex,
  pausedPosition,
  phasePosition,
  rewindPlan,
} from "./timeline";

/**
 * Time travel (issue 4): the fields a timeline frame saves and restores — everything the
 * panels read about "now". A field added for a panel that shows the current phase belongs here.
 */
const FRAME_FIELDS = [
  "session",
  "graph",
  "event",
  "previous",
  "references",
  "captures",
  "stepLog",
] as const;
export type StoreFrame = Pick<LoopStore, (typeof FRAME_FIELDS)[number]>;

export { DEFAULT_SPEED, SPEED_STOPS, speedsFor } from "./speeds";
export type { Speed } from "./speeds";

/** One step() capture and the iteration it belongs to (teaching panels, issue 4). */
export interface StepRecord {
  iteration: number;
  capture: CaptureByPhase["step"];
}

/** Losses kept for the charts (issue 4); older points are dropped. */
export const MAX_LOSSES = 20_000;

export interface Toast {
  id: number;
  code: string;
  message: string;
  field: string | null;
}

export type SessionListener = (event: SessionEvent, previous: SessionEvent | null) => void;

export interface StoreOptions {
  /** Where commands go (the socket); returns false when they could not be sent. */
  send?: (command: Command) => boolean;
  clock?: Clock;
  reducedMotion?: () => boolean;
}

/** Same scenario, modules, parameters and criterion: the autograd graph has the same nodes. */
function sameModel(a: SessionEvent, b: SessionEvent): boolean {
  const shape = (s: SessionEvent) =>
    JSON.stringify([s.scenario, s.model, s.parameters, s.criterion, s.config.frozen ?? null]);
  return shape(a) === shape(b);
}

export class LoopStore {
  connection = $state<ConnectionState>("closed");
  retryInMs = $state<number | null>(null);
  session = $state.raw<SessionEvent | null>(null);
  graph = $state.raw<GraphEvent | null>(null);
  /** The latest phase event, and the one before it (for "before → after" views). */
  event = $state.raw<PhaseEvent | null>(null);
  previous = $state.raw<PhaseEvent | null>(null);
  /** What the last step() found in optimizer.param_groups (kept across iterations). */
  references = $state.raw<ParamReference[]>([]);
  /** The latest capture of each phase in the current iteration. */
  captures = $state.raw<Partial<CaptureByPhase>>({});
  /**
   * Teaching panels (issue 4): the last two step captures with their iteration. The state a
   * capture holds is the optimizer's state *after* that step, so the one before is the
   * previous step's (when it was the iteration just before).
   */
  stepLog = $state.raw<StepRecord[]>([]);
  losses = $state.raw<LossPoint[]>([]);
  playing = $state(false);
  speedIndex = $state(DEFAULT_SPEED);
  toasts = $state<Toast[]>([]);
  /** Animation progress of the latest phase, t ∈ [0, 1]. */
  progress = $state(1);
  animating = $state(false);
  scenario = $state<ScenarioName>("linear");
  config = $state.raw<Record<string, unknown>>({});
  scenarios = $state.raw<ScenarioInfo[]>(fallbackScenarios());
  /** Phase events received since the page loaded (for the status bar and benchmarks). */
  frames = $state(0);
  /** Time travel (issue 4): the frames received, and the seq of the one shown (null = live). */
  readonly timeline = new FrameBuffer<StoreFrame>(MAX_FRAMES);
  timelineVersion = $state(0);
  viewing = $state<number | null>(null);
  /** The live state, put aside while a past frame is shown. */
  private liveFrame: StoreFrame | null = null;

  readonly animator: Animator;
  private send: (command: Command) => boolean;
  private readonly reducedMotion: () => boolean;
  private nextToast = 1;
  /** The run's secret from its session event: sent in `resume` after a dropped connection. */
  private token: string | null = null;
  private resuming = false;
  private sessionListeners: SessionListener[] = [];

  constructor(options: StoreOptions = {}) {
    this.send = options.send ?? (() => false);
    this.reducedMotion = options.reducedMotion ?? prefersReducedMotion;
    this.animator = new Animator((t, animating) => {
      this.progress = t;
      this.animating = animating;
    }, options.clock);
  }

  /** Route commands to `send` from now on (the socket is made after the store). */
  connectSender(send: (command: Command) => boolean): void {
    this.send = send;
  }

  // ------------------------------------------------------------ derived reads

  /** The phase that ran last (null before the first). */
  get phase(): PhaseName | null {
    return this.event?.phase ?? null;
  }

  get nextPhase(): PhaseName {
    return this.event?.next_phase ?? this.session?.next_phase ?? "forward";
  }

  get iteration(): number {
    return this.event?.iteration ?? this.session?.iteration ?? 0;
  }

  get epoch(): number {
    return this.event?.epoch ?? this.session?.epoch ?? 0;
  }

  get loss(): WireFloat | null {
    return this.event?.loss ?? null;
  }

  get diverged(): boolean {
    return this.event?.diverged ?? false;
  }

  get params(): Record<string, TensorValue> {
    return this.event?.params ?? this.session?.params ?? {};
  }

  get grads(): Record<string, TensorValue | null> {
    return this.event?.grads ?? this.session?.grads ?? {};
  }

  /** The .grad values before the latest phase ran. */
  get previousGrads(): Record<string, TensorValue | null> {
    return this.previous?.grads ?? this.session?.grads ?? {};
  }

  /** Batches per epoch of the run (1 before the first session: full batch). */
  get nBatches(): number {
    return this.event?.n_batches ?? this.session?.n_batches ?? 1;
  }

  /** The speed control's stops for this run, each strictly faster than the one before. */
  get speeds(): Speed[] {
    return speedsFor(this.session?.n_batches ?? 1);
  }

  get speed(): Speed {
    const speeds = this.speeds;
    return speeds[this.speedIndex] ?? speeds[DEFAULT_SPEED] ?? (speeds[0] as Speed);
  }

  // ------------------------------------------------------------ events in

  /** Apply one server event. */
  handle(event: ServerEvent): void {
    // Time travel: an event always lands on the live state, even while a past frame is shown.
    const shown = this.viewing;
    if (shown !== null) this.restoreLive();
    switch (event.type) {
      case "session":
        this.applySession(event);
        break;
      case "graph":
        this.graph = event;
        break;
      case "phase":
        this.applyPhase(event);
        break;
      case "losses":
        // Older losses of a long command (or of coalesced frames), ahead of its phase event.
        this.addLosses(lossPoints(event));
        break;
      case "error":
        if (this.resuming && event.code === "not_found") {
          // The server no longer holds our run (grace period over, or restarted): start anew.
          this.resuming = false;
          this.token = null;
          this.startRun();
        } else if (this.session === null && event.code === "invalid_config") {
          // The first run's config (from a shared link) was refused: say why, run the defaults.
          this.pushError(event);
          this.startRun(this.scenario, {});
        } else {
          // A refused start leaves the run as it was: so do the scenario and config we keep.
          if (this.session !== null && event.field?.startsWith("config.")) {
            this.scenario = this.session.scenario;
            this.config = this.session.config;
          }
          this.pushError(event);
        }
        break;
    }
    this.recordFrame(event);
    if (shown !== null) this.showFrame(shown);
  }

  private applySession(event: SessionEvent): void {
    const previous = this.session;
    // Another batch size offers other speed stops: keep the speed the learner chose, or the
    // nearest that is not faster.
    const speed = this.speed;
    const fromBatches = previous?.n_batches ?? 1;
    this.speedIndex = closestSpeedIndex(
      speedsFor(event.n_batches),
      speed,
      fromBatches,
      event.n_batches,
    );
    this.resuming = false;
    this.token = event.token ?? null;
    // Same model, same node ids: keep the graph so its layout does not jump (and so a run
    // driven by iteration steps, which send no graph frames, still shows one).
    const sameGraph = previous !== null && sameModel(previous, event);
    if (!sameGraph) this.graph = null;
    // Same run (a rewind, a reset, new hyperparameters): its losses before this point stay.
    const sameRun = sameGraph && previous.run_id === event.run_id;
    this.session = event;
    this.scenario = event.scenario;
    this.config = event.config;
    this.event = null;
    this.previous = null;
    // param_groups as the optimizer holds them now; each step() refreshes them.
    this.references = event.references ?? [];
    this.captures = {};
    this.stepLog = [];
    // A rewind keeps the losses before its iteration; anything else starts them over.
    this.losses = this.losses.filter((p) => sameRun && p.iteration < event.iteration);
    this.playing = false;
    this.animator.finish();
    for (const listener of this.sessionListeners) listener(event, previous);
  }

  /** Call `listener` after each session event is applied (the lessons end with their run). */
  onSession(listener: SessionListener): () => void {
    this.sessionListeners.push(listener);
    return () => {
      this.sessionListeners = this.sessionListeners.filter((l) => l !== listener);
    };
  }

  private applyPhase(event: PhaseEvent): void {
    this.frames += 1;
    // Captures describe one iteration. An event of another iteration (a new forward, or a
    // multi-phase step whose earlier phases ran uncaptured) starts the set afresh, so no
    // panel shows the previous iteration's details as this one's.
    const sameIteration =
      event.phase !== "forward" && this.event !== null && this.event.iteration === event.iteration;
    const captures: Partial<CaptureByPhase> = sameIteration ? { ...this.captures } : {};
    if (event.capture) {
      (captures as Record<PhaseName, unknown>)[event.phase] = event.capture;
    }
    this.captures = captures;
    this.previous = this.event;
    this.event = event;
    if (captures.step && event.phase === "step") {
      this.references = captures.step.references;
      const record = { iteration: event.iteration, capture: captures.step };
      this.stepLog = [...this.stepLog, record].slice(-2);
    }
    this.addLosses(event.losses);
    const rate = this.playing ? this.speedFrameRate() : null;
    void this.animator.run(
      phaseDuration({ phase: event.phase, rate, reducedMotion: this.reducedMotion() }),
    );
  }

  private addLosses(points: readonly LossPoint[]): void {
    if (!points.length) return;
    const merged = this.losses.concat(points);
    this.losses = merged.length > MAX_LOSSES ? merged.slice(-MAX_LOSSES) : merged;
  }

  /** Phase frames per second while playing (fast-forward units send far fewer frames). */
  private speedFrameRate(): number {
    return this.speed.rate;
  }

  private pushError(event: ErrorEvent): void {
    this.toast(event.code, event.message, event.field ?? null);
  }

  /** Show an error toast (kept until dismissed; at most 4 at once). */
  toast(code: string, message: string, field: string | null = null): void {
    const next = [...this.toasts, { id: this.nextToast++, code, message, field }];
    this.toasts = next.slice(-4);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  setConnection(state: ConnectionState, retryInMs: number | null): void {
    this.connection = state;
    this.retryInMs = retryInMs;
    if (state !== "open") this.playing = false;
  }

  // ------------------------------------------------------------ commands out

  private command(command: Command): boolean {
    // Any command acts on the live run, so the page shows it again.
    if (this.viewing !== null) this.restoreLive();
    const ok = this.send(command);
    if (!ok) this.toast("offline", "not connected: the command was not sent");
    return ok;
  }

  /**
   * A connection opened: take our run back if the server may still hold it (same numbers,
   * same history), else start the current scenario with the current config.
   */
  connected(): void {
    if (this.token) {
      this.resuming = true;
      this.command({ type: "resume", token: this.token });
    } else {
      this.startRun();
    }
  }

  /** Start the scenario with a config (the server fills in what the config leaves out). */
  startRun(scenario: ScenarioName = this.scenario, config = this.config): void {
    this.scenario = scenario;
    this.config = config;
    this.command({ type: "start", scenario, config });
  }

  /** The teaching switches this run has on: zero_grad() skipped, parameters frozen. */
  get teachingSwitches(): { skipZeroGrad: boolean; frozen: string[] } {
    const config = this.session?.config ?? {};
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

  stepPhase(): void {
    if (this.playing) this.pause();
    this.command({ type: "step", unit: "phase", count: 1 });
  }

  stepIteration(): void {
    if (this.playing) this.pause();
    this.command({ type: "step", unit: "iteration", count: 1 });
  }

  /** Run `count` units at once (a lesson's "run 300 iterations"); one frame comes back. */
  runSteps(unit: StepUnit, count: number): void {
    if (this.playing) this.pause();
    this.command({ type: "step", unit, count });
  }

  play(): void {
    const { unit, rate } = this.speed;
    if (this.command({ type: "play", unit, rate })) this.playing = true;
  }

  pause(): void {
    this.playing = false;
    this.command({ type: "pause" });
  }

  togglePlay(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  reset(): void {
    this.playing = false;
    this.command({ type: "reset" });
  }

  setSpeed(index: number): void {
    this.speedIndex = Math.min(this.speeds.length - 1, Math.max(0, Math.round(index)));
    if (this.playing) this.play();
  }

  setScenarios(list: ScenarioInfo[]): void {
    if (list.length) this.scenarios = list;
  }

  // ------------------------------------------------------------ time travel (issue 4)

  /** The frame shown: the one being viewed, or the latest (live). */
  get shownFrame() {
    void this.timelineVersion;
    const index = this.viewing === null ? -1 : this.timeline.indexOfSeq(this.viewing);
    return index >= 0 ? this.timeline.at(index) : this.timeline.last();
  }

  /** Show frame `seq` as it was (every panel reads it); null goes back to live. Pauses play. */
  viewFrame(seq: number | null): void {
    if (seq === null) {
      this.restoreLive();
      return;
    }
    if (this.playing) this.pause();
    this.showFrame(seq);
  }

  /** Move `delta` frames back (negative) or forward from the frame shown. */
  viewStep(delta: number): void {
    const current = this.viewing === null ? null : this.timeline.indexOfSeq(this.viewing);
    const next = movedIndex(current, delta, this.timeline.length);
    this.viewFrame(next === null ? null : (this.timeline.at(next)?.seq ?? null));
  }

  /**
   * Branch from the frame shown: `rewind` to its iteration (the server goes back to the
   * start of it), then optionally a new learning rate. Returns the iteration asked for.
   */
  continueFromHere(lr: number | null = null): number | null {
    const frame = this.shownFrame;
    if (!frame) return null;
    const { iteration } = rewindPlan(frame.position);
    if (this.command({ type: "rewind", iteration }) && lr !== null) {
      this.command({ type: "set", lr });
    }
    return iteration;
  }

  private snapshotFrame(): StoreFrame {
    const frame: Partial<Record<keyof StoreFrame, unknown>> = {};
    for (const key of FRAME_FIELDS) frame[key] = this[key];
    return frame as StoreFrame;
  }

  private recordFrame(event: ServerEvent): void {
    if (event.type === "session") {
      const position = pausedPosition(event.iteration, event.next_phase);
      const state = this.snapshotFrame();
      this.timeline.push({ runId: event.run_id, kind: "session", position, state });
    } else if (event.type === "phase" && this.session) {
      const position = phasePosition(event.iteration, event.phase);
      const state = this.snapshotFrame();
      this.timeline.push({ runId: this.session.run_id, kind: "phase", position, state });
    } else {
      return;
    }
    this.timelineVersion += 1;
  }

  private showFrame(seq: number): void {
    const index = this.timeline.indexOfSeq(seq);
    const frame = this.timeline.at(index);
    // Gone (an older frame dropped, a branch cut), or the latest one: that is live.
    if (!frame || index === this.timeline.length - 1) {
      this.restoreLive();
      return;
    }
    if (this.liveFrame === null) this.liveFrame = this.snapshotFrame();
    Object.assign(this, frame.state);
    this.viewing = seq;
    this.animator.finish();
  }

  private restoreLive(): void {
    if (this.liveFrame !== null) Object.assign(this, this.liveFrame);
    this.liveFrame = null;
    this.viewing = null;
  }
}
