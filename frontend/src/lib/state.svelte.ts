// The one store of a learner's session, fed by server events; views only read it.
//
// Big payloads (session, graph, phase events) are kept with $state.raw: they are
// replaced whole on every frame, never mutated, so deep proxies would only cost time.
import { Animator, phaseDuration, prefersReducedMotion } from "./animation";
import type { Clock } from "./animation";
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
} from "./protocol";
import { fallbackScenarios } from "./scenarios";
import type { ScenarioInfo } from "./scenarios";
import type { ConnectionState } from "./socket";

/** One stop of the speed control: `rate` steps of `unit` per second. */
export interface Speed {
  unit: StepUnit;
  rate: number;
}

export const SPEEDS: readonly Speed[] = [
  { unit: "phase", rate: 0.5 },
  { unit: "phase", rate: 1 },
  { unit: "phase", rate: 2 },
  { unit: "phase", rate: 5 },
  { unit: "phase", rate: 10 },
  { unit: "phase", rate: 30 },
  { unit: "phase", rate: 60 },
  { unit: "iteration", rate: 30 },
  { unit: "epoch", rate: 10 },
  { unit: "epoch", rate: 60 },
];
export const DEFAULT_SPEED = 2;

/** Losses kept for the charts (issue 4); older points are dropped. */
export const MAX_LOSSES = 20_000;

export interface Toast {
  id: number;
  code: string;
  message: string;
  field: string | null;
}

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

  readonly animator: Animator;
  private send: (command: Command) => boolean;
  private readonly reducedMotion: () => boolean;
  private nextToast = 1;
  /** The run's secret from its session event: sent in `resume` after a dropped connection. */
  private token: string | null = null;
  private resuming = false;

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

  get speed(): Speed {
    return SPEEDS[this.speedIndex] ?? (SPEEDS[DEFAULT_SPEED] as Speed);
  }

  // ------------------------------------------------------------ events in

  /** Apply one server event. */
  handle(event: ServerEvent): void {
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
      case "error":
        if (this.resuming && event.code === "not_found") {
          // The server no longer holds our run (grace period over, or restarted): start anew.
          this.resuming = false;
          this.token = null;
          this.startRun();
        } else {
          this.pushError(event);
        }
        break;
    }
  }

  private applySession(event: SessionEvent): void {
    const previous = this.session;
    this.resuming = false;
    this.token = event.token ?? null;
    // Same model, same node ids: keep the graph so its layout does not jump (and so a run
    // driven by iteration steps, which send no graph frames, still shows one).
    const sameGraph = previous !== null && sameModel(previous, event);
    if (!sameGraph) this.graph = null;
    const sameRun = sameGraph && JSON.stringify(previous.config) === JSON.stringify(event.config);
    this.session = event;
    this.scenario = event.scenario;
    this.config = event.config;
    this.event = null;
    this.previous = null;
    // param_groups as the optimizer holds them now; each step() refreshes them.
    this.references = event.references ?? [];
    this.captures = {};
    // A rewind keeps the losses before its iteration; anything else starts them over.
    this.losses = this.losses.filter((p) => sameRun && p.iteration < event.iteration);
    this.playing = false;
    this.animator.finish();
  }

  private applyPhase(event: PhaseEvent): void {
    this.frames += 1;
    const captures: Partial<CaptureByPhase> = event.phase === "forward" ? {} : { ...this.captures };
    if (event.capture) {
      (captures as Record<PhaseName, unknown>)[event.phase] = event.capture;
    }
    this.captures = captures;
    this.previous = this.event;
    this.event = event;
    if (captures.step && event.phase === "step") this.references = captures.step.references;
    if (event.losses.length) {
      const merged = this.losses.concat(event.losses);
      this.losses = merged.length > MAX_LOSSES ? merged.slice(-MAX_LOSSES) : merged;
    }
    const rate = this.playing ? this.speedFrameRate() : null;
    void this.animator.run(
      phaseDuration({ phase: event.phase, rate, reducedMotion: this.reducedMotion() }),
    );
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

  stepPhase(): void {
    if (this.playing) this.pause();
    this.command({ type: "step", unit: "phase", count: 1 });
  }

  stepIteration(): void {
    if (this.playing) this.pause();
    this.command({ type: "step", unit: "iteration", count: 1 });
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
    this.speedIndex = Math.min(SPEEDS.length - 1, Math.max(0, Math.round(index)));
    if (this.playing) this.play();
  }

  setScenarios(list: ScenarioInfo[]): void {
    if (list.length) this.scenarios = list;
  }
}
