// The one store of a learner's session, fed by server events; views only read it.
//
// The run itself is a chain of immutable frames (frame.ts): the store keeps the live one and
// those of the timeline, and `view` is the one panels read (live, or the frame scrubbed to).
// Frames are replaced whole, never mutated, so they are kept with $state.raw.
import { Animator, phaseDuration, prefersReducedMotion } from "../util/animation";
import type { Clock } from "../util/animation";
import type {
  Command,
  ErrorEvent,
  LossChunk,
  WirePhaseEvent,
  PhaseName,
  ScenarioName,
  SentEvent,
  ServerEvent,
  SessionEvent,
  StepUnit,
  TensorCommand,
  TensorEvent,
  TensorValue,
  WireFloat,
} from "../wire/protocol";
import {
  EMPTY_FRAME,
  epochOf,
  gradsOf,
  iterationOf,
  lossOf,
  nBatchesOf,
  nextPhaseOf,
  paramsOf,
  phaseOf,
  previousGradsOf,
  reduce,
} from "./frame";
import type { RunFrame } from "./frame";
import { appendLosses, lossesThrough, NO_LOSSES } from "./losses";
import { PAUSED, playStatusAfter } from "./playstate";
import type { PlayState, PlayStatus } from "./playstate";
import { fallbackScenarios } from "./scenarios";
import { closestSpeedIndex, DEFAULT_SPEED, speedsFor } from "./speeds";
import type { Speed } from "./speeds";
import type { ScenarioInfo } from "./scenarios";
import { EMPTY_TRACE, reduceTrace } from "../trace/tracelog";
import type { TraceLog } from "../trace/tracelog";
import type { CloseInfo, ConnectionState } from "../wire/socket";
import { completedIterations, fitsOneCommand, runToPlan } from "./runto";
import type { RunProgress, RunToUnit } from "./runto";
import { replayPlan } from "./replay";
import type { LinkedSet } from "./urlstate";
import {
  FrameBuffer,
  MAX_FRAMES,
  movedIndex,
  pausedPosition,
  phasePosition,
  rewindPlan,
} from "./timeline";

/** Losses kept for the charts; older points are dropped. */
export const MAX_LOSSES = 20_000;

export interface Toast {
  id: number;
  code: string;
  message: string;
  field: string | null;
}

/** What a `tensor` command asks for: a parameter's value, its .grad, or an optimizer state. */
export type TensorKind = NonNullable<TensorCommand["kind"]>;

export type SessionListener = (event: SessionEvent, previous: SessionEvent | null) => void;

export interface StoreOptions {
  /** Where commands go (the socket); returns false when they could not be sent. */
  send?: (command: Command) => boolean;
  clock?: Clock;
  reducedMotion?: () => boolean;
  /**
   * Where the run's resume token outlives the page (sessionStorage: this tab only), so a
   * reload takes the same run back instead of silently starting over.
   */
  tokenStore?: TokenStore;
  speedStore?: SpeedStore;
  /** Calls `fn` once what the store holds now has been drawn (requestAnimationFrame). */
  afterPaint?: (fn: () => void) => void;
  /** Calls `fn` after `ms` milliseconds (setTimeout). */
  later?: (fn: () => void, ms: number) => void;
}

/**
 * A reload can reach the server before the old page's socket has closed there, so its run is
 * parked a moment after our `resume` was refused: ask once more after this long before giving
 * the run up and starting over.
 */
export const RESUME_RETRY_MS = 1000;

export interface TokenStore {
  load(): string | null;
  save(token: string | null): void;
}

/** Where the chosen speed outlives the page (a reload keeps it). */
export interface SpeedStore {
  load(): SavedSpeed | null;
  save(speed: SavedSpeed): void;
}

/** A speed as chosen, with the batches per epoch of the run it was chosen in. */
export interface SavedSpeed extends Speed {
  nBatches: number;
}

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

export class LoopStore {
  connection = $state<ConnectionState>("closed");
  retryInMs = $state<number | null>(null);
  /** The run as the latest event left it. */
  live = $state.raw<RunFrame>(EMPTY_FRAME);
  /** A traced script's output, notices, evaluation calls and end: the live run's, not a frame's. */
  trace = $state.raw<TraceLog>(EMPTY_TRACE);
  /** Losses of the run so far, shared by the frames (each cuts them at `lossesThrough`). */
  losses = $state.raw<LossChunk>(NO_LOSSES);
  playStatus = $state.raw<PlayStatus>(PAUSED);
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
  /** Time travel: the frames received, and the seq of the one shown (null = live). */
  readonly timeline = new FrameBuffer<RunFrame>(MAX_FRAMES);
  timelineVersion = $state(0);
  viewing = $state<number | null>(null);
  /** The frame every panel reads: the one scrubbed to, else the live one. */
  readonly view: RunFrame = $derived.by(() => {
    // Live, it depends on `live` alone: a frame recorded (timelineVersion) would otherwise mark
    // every panel's reading of the view stale a second time on each event.
    if (this.viewing === null) return this.live;
    void this.timelineVersion;
    return this.timeline.at(this.timeline.indexOfSeq(this.viewing))?.state ?? this.live;
  });

  /** The latest tensor sent in full on request (`requestTensor`); not part of any frame. */
  fullTensor = $state<TensorEvent | null>(null);
  /** The server closed the connection for good, and why (no reconnect until asked). */
  closeInfo = $state.raw<CloseInfo | null>(null);
  /** A long step under way (a "run to"), as far as the server has reported it. */
  runProgress = $state.raw<RunProgress | null>(null);
  /** What the latest settings change did (see ConfigNote). */
  configNote = $state.raw<ConfigNote | null>(null);
  /** Sets a shared link held that could not be replayed (the link says so). */
  linkSkipped = $state(0);

  readonly animator: Animator;
  private send: (command: Command) => boolean;
  private reconnector: () => void = () => {};
  private readonly speedStore: SpeedStore | null;
  private savedSpeed: SavedSpeed | null;
  private readonly afterPaint: (fn: () => void) => void;
  private pendingNote: Omit<ConfigNote, "iteration" | "phase"> | null = null;
  private pendingReplay: PendingReplay | null = null;
  private readonly reducedMotion: () => boolean;
  private nextToast = 1;
  /** The run's secret from its session event: sent in `resume` after a dropped connection. */
  private token: string | null = null;
  private resuming = false;
  private resumeRetried = false;
  private readonly later: (fn: () => void, ms: number) => void;
  private readonly tokenStore: TokenStore | null;
  private sessionListeners: SessionListener[] = [];

  constructor(options: StoreOptions = {}) {
    this.send = options.send ?? (() => false);
    this.reducedMotion = options.reducedMotion ?? prefersReducedMotion;
    this.tokenStore = options.tokenStore ?? null;
    this.token = this.tokenStore?.load() ?? null;
    this.speedStore = options.speedStore ?? null;
    this.savedSpeed = this.speedStore?.load() ?? null;
    this.later = options.later ?? ((fn, ms) => void setTimeout(fn, ms));
    this.afterPaint =
      options.afterPaint ??
      (typeof requestAnimationFrame === "function"
        ? (fn) => void requestAnimationFrame(() => fn())
        : (fn) => queueMicrotask(fn));
    this.animator = new Animator((t, animating) => {
      this.progress = t;
      this.animating = animating;
    }, options.clock);
  }

  /** Route commands to `send` from now on (the socket is made after the store). */
  connectSender(send: (command: Command) => boolean): void {
    this.send = send;
  }

  /** What "Reconnect" does (the socket's connect), once the server closed for good. */
  connectReconnect(reconnect: () => void): void {
    this.reconnector = reconnect;
  }

  // ------------------------------------------------------------ derived reads

  /** Paused, asked to play, or playing (see playstate.ts). */
  get playState(): PlayState {
    return this.playStatus.state;
  }

  private setPlay(state: PlayState): void {
    this.playStatus = { ...this.playStatus, state };
  }

  /** The page was served by `loopscope trace` (known before the first session arrives). */
  tracePage = $state(false);

  /** A run of the learner's own script (`loopscope trace`): by its capabilities, or by the
   * page's mark while the script's process is still starting. */
  get traced(): boolean {
    const source = this.live.session?.capabilities.source;
    return source === undefined ? this.tracePage : source === "trace";
  }

  /** Whether the server is playing (not merely asked to). */
  get playing(): boolean {
    return this.playState === "playing";
  }

  /** The phase that ran last in the frame shown (null before the first). */
  get phase(): PhaseName | null {
    return phaseOf(this.view);
  }

  get nextPhase(): PhaseName {
    return nextPhaseOf(this.view);
  }

  get iteration(): number {
    return iterationOf(this.view);
  }

  get epoch(): number {
    return epochOf(this.view);
  }

  get loss(): WireFloat | null {
    return lossOf(this.view);
  }

  get diverged(): boolean {
    return this.view.event?.diverged ?? false;
  }

  get params(): Record<string, TensorValue> {
    return paramsOf(this.view);
  }

  get grads(): Record<string, TensorValue | null> {
    return gradsOf(this.view);
  }

  /** The .grad values before the latest phase ran. */
  get previousGrads(): Record<string, TensorValue | null> {
    return previousGradsOf(this.view);
  }

  /** Batches per epoch of the run (1 before the first session: full batch). */
  get nBatches(): number {
    return nBatchesOf(this.view);
  }

  /** The speed control's stops for this run, each strictly faster than the one before. */
  get speeds(): Speed[] {
    const speeds = speedsFor(this.live.session?.n_batches ?? 1);
    // A traced script has no epochs the server can count (its epoch is an iteration).
    return this.traced
      ? speeds.map((s) => (s.unit === "epoch" ? { ...s, unit: "iteration" } : s))
      : speeds;
  }

  get speed(): Speed {
    return this.speedAt(this.speeds);
  }

  private speedAt(speeds: Speed[]): Speed {
    return speeds[this.speedIndex] ?? speeds[DEFAULT_SPEED] ?? (speeds[0] as Speed);
  }

  // ------------------------------------------------------------ events in

  /** Apply one server event to the live frame (a frame scrubbed to stays as it is). */
  handle(event: ServerEvent): void {
    const before = this.live;
    this.live = reduce(before, event);
    this.trace = reduceTrace(this.trace, event);
    this.playStatus = playStatusAfter(this.playStatus, event);
    if (event.type === "progress") {
      this.runProgress = { first: event.first, done: event.done, total: event.total };
    } else if (event.type === "session" || event.type === "phase" || event.type === "error") {
      this.runProgress = null; // the long step ended (or was refused)
    }
    switch (event.type) {
      case "session":
        this.applySession(event, before.session);
        break;
      case "phase":
        this.applyPhase(event);
        // Paced play: tell the server once this frame is drawn, so it runs the next step.
        if (this.playAsked) this.afterPaint(() => void this.send({ type: "shown" }));
        break;
      case "losses":
        // Older losses of a long command (or of coalesced frames), ahead of its phase event.
        this.addLosses(event);
        break;
      case "error":
        this.applyError(event);
        break;
      case "tensor":
        this.fullTensor = event;
        break;
      case "sent":
        this.amendBackward(before, event);
        break;
      default:
        break;
    }
    this.recordFrame(event);
    if (this.viewing !== null) {
      this.keepViewing(this.viewing);
      // A past frame stays still while the live run moves on behind it.
      if (this.viewing !== null) this.animator.finish();
    }
  }

  /** Gradients asked for (`sent`) go into every recorded frame of the backward they belong
   * to (the very capture the live frame held), so scrubbing back to it shows them too. */
  private amendBackward(before: RunFrame, event: SentEvent): void {
    const held = before.captures.backward;
    if (!held || this.live.captures.backward === held) return;
    const amended = this.timeline.amendEach((state) =>
      state.captures.backward === held ? reduce(state, event) : state,
    );
    if (amended) this.timelineVersion += 1;
  }

  private applyError(event: ErrorEvent): void {
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

  private applySession(event: SessionEvent, previous: SessionEvent | null): void {
    // Another batch size offers other speed stops: keep the speed the learner chose, or the
    // nearest that is not faster.
    const fromBatches = this.savedSpeed?.nBatches ?? previous?.n_batches ?? 1;
    this.speedIndex = closestSpeedIndex(
      speedsFor(event.n_batches),
      this.savedSpeed ?? this.speedAt(speedsFor(fromBatches)),
      fromBatches,
      event.n_batches,
    );
    this.savedSpeed = null; // the speed saved by the page before a reload: used once
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

  /** Call `listener` after each session event is applied (the lessons end with their run). */
  onSession(listener: SessionListener): () => void {
    this.sessionListeners.push(listener);
    return () => {
      this.sessionListeners = this.sessionListeners.filter((l) => l !== listener);
    };
  }

  private applyPhase(event: WirePhaseEvent): void {
    this.frames += 1;
    this.addLosses(event.losses);
    const rate = this.playing ? this.speed.rate : null;
    void this.animator.run(
      phaseDuration({ phase: event.phase, rate, reducedMotion: this.reducedMotion() }),
    );
  }

  private addLosses(chunk: LossChunk): void {
    this.losses = appendLosses(this.losses, chunk, MAX_LOSSES);
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
    if (state === "open") this.closeInfo = null;
    if (state !== "open") this.runProgress = null;
    // A closed socket ends play on the server (the run is parked).
    if (state !== "open") this.playStatus = PAUSED;
  }

  /** The server closed for good: say why, and wait for the learner's Reconnect. */
  closedForGood(info: CloseInfo): void {
    this.closeInfo = info;
  }

  /** Connect again after a close for good (the run is parked: it resumes). */
  reconnect(): void {
    this.reconnector();
  }

  // ------------------------------------------------------------ commands out

  /**
   * Ask for one tensor in full (answered by a `tensor` event). Unlike the other commands it
   * leaves the frame being viewed alone: the answer says which iteration it is from.
   */
  requestTensor(
    name: string,
    kind: TensorKind = "value",
    key: TensorCommand["key"] = null,
  ): boolean {
    const ok = this.send({ type: "tensor", name, kind, key });
    if (!ok) this.toast("offline", "not connected: the command was not sent");
    return ok;
  }

  /**
   * Ask for one parameter's update detail of the latest captured step (answered by an
   * `update` event, which the frame takes into that step; the following steps send it too).
   */
  requestUpdate(name: string): boolean {
    const ok = this.send({ type: "update", name });
    if (!ok) this.toast("offline", "not connected: the command was not sent");
    return ok;
  }

  /**
   * Ask for the gradients `node` sent in the backward the live run shows, which its frame
   * left out (answered by a `sent` event, which the frame takes into that backward).
   */
  requestSent(node: string): boolean {
    const ok = this.send({ type: "sent", node });
    if (!ok) this.toast("offline", "not connected: the command was not sent");
    return ok;
  }

  /** Whether the frame shown holds the live run's latest backward (the one the server kept:
   * what `sent` can complete). */
  get atLatestBackward(): boolean {
    const held = this.live.captures.backward;
    return held !== undefined && this.view.captures.backward === held;
  }

  private command(command: Command): boolean {
    // Any command acts on the live run, so the page shows it again.
    this.viewing = null;
    const ok = this.send(command);
    if (!ok) this.toast("offline", "not connected: the command was not sent");
    return ok;
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

  /**
   * Run until `target` iterations (updates), or `target` epochs (passes over the data, as
   * the notes' log counts them), are done; a long run reports progress and Pause stops it.
   * Returns false when the run is already there or the target is too far for one command.
   */
  runTo(unit: RunToUnit, target: number): boolean {
    const completed = completedIterations(this.live);
    const plan = runToPlan(completed, this.live.session?.n_batches ?? 1, unit, target);
    if (!plan || !fitsOneCommand(plan)) return false;
    if (this.playAsked) this.pause();
    if (!this.command({ type: "step", unit: plan.unit, count: plan.count })) return false;
    this.runProgress = { first: completed, done: 0, total: plan.targetIteration - completed };
    return true;
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

  stepPhase(): void {
    if (this.playAsked) this.pause();
    this.command({ type: "step", unit: "phase", count: 1 });
  }

  stepIteration(): void {
    if (this.playAsked) this.pause();
    this.command({ type: "step", unit: "iteration", count: 1 });
  }

  /** Run `count` units at once (a lesson's "run 300 iterations"); one frame comes back. */
  runSteps(unit: StepUnit, count: number): void {
    if (this.playAsked) this.pause();
    this.command({ type: "step", unit, count });
  }

  play(): void {
    const { unit, rate } = this.speed;
    // Playing only once the server answers with a frame (see playstate.ts). Paced: the
    // server runs a step only once the page has drawn the one before, so a Pause stops
    // the run where the learner sees it.
    if (this.command({ type: "play", unit, rate, paced: true })) this.setPlay("asked");
  }

  /** Whether play was asked for or is running (the Play button then offers Pause). */
  get playAsked(): boolean {
    return this.playState !== "paused";
  }

  pause(): void {
    this.setPlay("paused");
    this.command({ type: "pause" });
  }

  togglePlay(): void {
    if (this.playAsked) this.pause();
    else this.play();
  }

  reset(): void {
    this.setPlay("paused");
    this.command({ type: "reset" });
  }

  setSpeed(index: number): void {
    this.speedIndex = Math.min(this.speeds.length - 1, Math.max(0, Math.round(index)));
    this.speedStore?.save({ ...this.speed, nBatches: this.live.session?.n_batches ?? 1 });
    if (this.playAsked) this.play();
  }

  setScenarios(list: ScenarioInfo[]): void {
    if (list.length) this.scenarios = list;
  }

  // ------------------------------------------------------------ time travel

  /** The frame shown: the one being viewed, or the latest (live). */
  get shownFrame() {
    void this.timelineVersion;
    const index = this.viewing === null ? -1 : this.timeline.indexOfSeq(this.viewing);
    return index >= 0 ? this.timeline.at(index) : this.timeline.last();
  }

  /** Show frame `seq` as it was (every panel reads it); null goes back to live. Pauses play. */
  viewFrame(seq: number | null): void {
    if (seq === null) {
      this.viewing = null;
      return;
    }
    if (this.playAsked) this.pause();
    this.keepViewing(seq);
    this.animator.finish();
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

  private recordFrame(event: ServerEvent): void {
    const runId = this.live.session?.run_id;
    if (runId === undefined) return;
    if (event.type === "session") {
      const position = pausedPosition(event.iteration, event.next_phase);
      this.timeline.push({ runId, kind: "session", position, state: this.live });
    } else if (event.type === "phase") {
      const position = phasePosition(event.iteration, event.phase);
      this.timeline.push({ runId, kind: "phase", position, state: this.live });
    } else if (event.type === "graph" && this.timeline.last()?.runId === runId) {
      // The graph of a forward comes right after its phase event: it is part of that frame.
      this.timeline.amendLast(this.live);
    } else {
      return;
    }
    this.timelineVersion += 1;
  }

  /** View frame `seq`; live instead when it is gone (dropped, a branch cut) or the latest. */
  private keepViewing(seq: number): void {
    const index = this.timeline.indexOfSeq(seq);
    this.viewing = index < 0 || index === this.timeline.length - 1 ? null : seq;
  }
}
