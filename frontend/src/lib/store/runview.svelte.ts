// The run as the page holds it: the live frame, the timeline's frames, and `view` (live, or
// the frame scrubbed to), with the reads every panel makes of the frame shown.
//
// Frames are replaced whole, never mutated (frame.ts), so they are kept with $state.raw.
import type {
  LossChunk,
  PhaseName,
  SentEvent,
  ServerEvent,
  TensorValue,
  UpdateEvent,
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
import { appendLosses, NO_LOSSES } from "./losses";
import { EMPTY_TRACE } from "../trace/tracelog";
import type { TraceLog } from "../trace/tracelog";
import { FrameBuffer, MAX_FRAMES, pausedPosition, phasePosition } from "./timeline";

/** Losses kept for the charts; older points are dropped. */
export const MAX_LOSSES = 20_000;

/** The capture an asked-for detail completes: the frame's backward, or its latest step. */
function heldBy(frame: RunFrame, event: SentEvent | UpdateEvent): object | undefined {
  return event.type === "sent" ? frame.captures.backward : frame.stepLog.at(-1)?.capture;
}

export class RunView {
  /** The run as the latest event left it. */
  live = $state.raw<RunFrame>(EMPTY_FRAME);
  /** A traced script's output, notices, evaluation calls and end: the live run's, not a frame's. */
  trace = $state.raw<TraceLog>(EMPTY_TRACE);
  /** Losses of the run so far, shared by the frames (each cuts them at `lossesThrough`). */
  losses = $state.raw<LossChunk>(NO_LOSSES);
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

  /** The page was served by `loopscope trace` (known before the first session arrives). */
  tracePage = $state(false);

  /** A run of the learner's own script (`loopscope trace`): by its capabilities, or by the
   * page's mark while the script's process is still starting. */
  get traced(): boolean {
    const source = this.live.session?.capabilities.source;
    return source === undefined ? this.tracePage : source === "trace";
  }

  /** A traced script's process has ended: nothing runs next (Reset runs it again). */
  get scriptEnded(): boolean {
    return this.trace.end !== null;
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

  /** Whether the frame shown holds the live run's latest backward (the one the server kept:
   * what `sent` can complete). */
  get atLatestBackward(): boolean {
    const held = this.live.captures.backward;
    return held !== undefined && this.view.captures.backward === held;
  }

  /** The frame shown: the one being viewed, or the latest (live). */
  get shownFrame() {
    void this.timelineVersion;
    const index = this.viewing === null ? -1 : this.timeline.indexOfSeq(this.viewing);
    return index >= 0 ? this.timeline.at(index) : this.timeline.last();
  }

  protected addLosses(chunk: LossChunk): void {
    this.losses = appendLosses(this.losses, chunk, MAX_LOSSES);
  }

  /**
   * Detail asked for goes into every recorded frame that holds the very capture the live
   * frame held when it came (gradients `sent`: that backward; an `update`: that step), so
   * scrubbing back to it shows them too, even when the learner scrubbed away meanwhile.
   */
  protected amendRecorded(before: RunFrame, event: SentEvent | UpdateEvent): void {
    const held = heldBy(before, event);
    if (!held || heldBy(this.live, event) === held) return; // the live frame did not take it
    const amended = this.timeline.amendEach((state) =>
      heldBy(state, event) === held ? reduce(state, event) : state,
    );
    if (amended) this.timelineVersion += 1;
  }

  protected recordFrame(event: ServerEvent): void {
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
  protected keepViewing(seq: number): void {
    const index = this.timeline.indexOfSeq(seq);
    this.viewing = index < 0 || index === this.timeline.length - 1 ? null : seq;
  }
}
