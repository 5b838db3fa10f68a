// Moving through the run: play and pause (playing only as the server says), steps, "run to",
// the speed, the animation of each phase, and time travel through the timeline's frames.
import { Animator, phaseDuration, prefersReducedMotion } from "../util/animation";
import type { ConnectionState } from "../wire/socket";
import type { SessionEvent, StepUnit, WirePhaseEvent } from "../wire/protocol";
import type { SavedSpeed, SpeedStore, StoreOptions } from "./options";
import { Outbox } from "./outbox.svelte";
import { PAUSED } from "./playstate";
import type { PlayState, PlayStatus } from "./playstate";
import { completedIterations, fitsOneCommand, runToPlan } from "./runto";
import type { RunProgress, RunToUnit } from "./runto";
import { closestSpeedIndex, DEFAULT_SPEED, speedsFor } from "./speeds";
import type { Speed } from "./speeds";
import { movedIndex, rewindPlan } from "./timeline";

export class Playback extends Outbox {
  playStatus = $state.raw<PlayStatus>(PAUSED);
  speedIndex = $state(DEFAULT_SPEED);
  /** Animation progress of the latest phase, t ∈ [0, 1]. */
  progress = $state(1);
  animating = $state(false);
  /** A long step under way (a "run to"), as far as the server has reported it. */
  runProgress = $state.raw<RunProgress | null>(null);

  readonly animator: Animator;
  protected readonly afterPaint: (fn: () => void) => void;
  private readonly reducedMotion: () => boolean;
  private readonly speedStore: SpeedStore | null;
  private savedSpeed: SavedSpeed | null;

  constructor(options: StoreOptions) {
    super(options);
    this.reducedMotion = options.reducedMotion ?? prefersReducedMotion;
    this.speedStore = options.speedStore ?? null;
    this.savedSpeed = this.speedStore?.load() ?? null;
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

  /** Paused, asked to play, or playing (see playstate.ts). */
  get playState(): PlayState {
    return this.playStatus.state;
  }

  private setPlay(state: PlayState): void {
    this.playStatus = { ...this.playStatus, state };
  }

  /** Whether the server is playing (not merely asked to). */
  get playing(): boolean {
    return this.playState === "playing";
  }

  /** Whether play was asked for or is running (the Play button then offers Pause). */
  get playAsked(): boolean {
    return this.playState !== "paused";
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

  override setConnection(state: ConnectionState, retryInMs: number | null): void {
    super.setConnection(state, retryInMs);
    if (state !== "open") this.runProgress = null;
    // A closed socket ends play on the server (the run is parked).
    if (state !== "open") this.playStatus = PAUSED;
  }

  /** A new session: keep the speed the learner chose across another batch size. */
  protected applySpeed(event: SessionEvent, previous: SessionEvent | null): void {
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
  }

  /** A phase ran: count it, keep its losses, and animate it at the pace of play. */
  protected applyPhase(event: WirePhaseEvent): void {
    this.frames += 1;
    this.addLosses(event.losses);
    const rate = this.playing ? this.speed.rate : null;
    void this.animator.run(
      phaseDuration({ phase: event.phase, rate, reducedMotion: this.reducedMotion() }),
    );
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
}
