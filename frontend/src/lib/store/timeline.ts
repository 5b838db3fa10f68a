// The frames a learner received, kept for time travel (pure: no DOM, no runes).
//
// A frame is what the page showed after one session or phase event. Frames are placed
// on one axis, the *position*: how many phases of the run had completed (5 per
// iteration). A rewind answers with a session event at an earlier position; the frames
// after it belonged to the abandoned branch and are dropped, as the server drops its
// history after the rewound iteration.
import { PHASES } from "../wire/protocol";
import type { PhaseName } from "../wire/protocol";

/** Frames kept; the oldest go first. */
export const MAX_FRAMES = 2000;
export const PHASES_PER_ITERATION = PHASES.length;

/** Phases completed once `phase` of `iteration` has run. */
export function phasePosition(iteration: number, phase: PhaseName): number {
  return iteration * PHASES_PER_ITERATION + PHASES.indexOf(phase) + 1;
}

/** Phases completed when the run waits before `next` in `iteration` (a session event). */
export function pausedPosition(iteration: number, next: PhaseName): number {
  return iteration * PHASES_PER_ITERATION + PHASES.indexOf(next);
}

/**
 * The timeline strip as RGBA pixels, one row of `columns`: column x shows frame ⌊x·n/columns⌋
 * in `colourOf(frame)`, so the strip costs `columns` writes whatever the number of frames
 * (up to MAX_FRAMES, redrawn at every event). No frames: transparent.
 */
export function stripPixels(
  n: number,
  columns: number,
  colourOf: (frame: number) => readonly [number, number, number],
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(new ArrayBuffer(columns * 4));
  if (n <= 0) return out;
  for (let x = 0; x < columns; x++) {
    const [r, g, b] = colourOf(Math.floor((x * n) / columns));
    out[x * 4] = r;
    out[x * 4 + 1] = g;
    out[x * 4 + 2] = b;
    out[x * 4 + 3] = 255;
  }
  return out;
}

export interface RewindPlan {
  /** The iteration to send in `rewind`: the server goes back to its start. */
  iteration: number;
  /** True when the frame is mid-iteration: that iteration runs again from forward. */
  rerun: boolean;
}

/**
 * How to continue from the state at `position`. After `step` the state *is* the start of
 * the next iteration; anywhere else the server can only go back to the start of the
 * current one, so the phases already run in it are run again.
 */
export function rewindPlan(position: number): RewindPlan {
  return {
    iteration: Math.floor(position / PHASES_PER_ITERATION),
    rerun: position % PHASES_PER_ITERATION !== 0,
  };
}

export interface TimelineFrame<T> {
  /** Receive order, unique for the page's lifetime (indices shift, seq does not). */
  seq: number;
  runId: string;
  kind: "session" | "phase";
  position: number;
  state: T;
}

export type NewFrame<T> = Omit<TimelineFrame<T>, "seq">;

/** The bounded, branch-aware list of frames. */
export class FrameBuffer<T> {
  private frames: TimelineFrame<T>[] = [];
  private nextSeq = 0;

  constructor(readonly max = MAX_FRAMES) {}

  get length(): number {
    return this.frames.length;
  }

  at(index: number): TimelineFrame<T> | undefined {
    return this.frames[index];
  }

  last(): TimelineFrame<T> | undefined {
    return this.frames[this.frames.length - 1];
  }

  all(): readonly TimelineFrame<T>[] {
    return this.frames;
  }

  /** Index of the frame with `seq`, or -1 (binary search: seq grows with the index). */
  indexOfSeq(seq: number): number {
    let lo = 0;
    let hi = this.frames.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = (this.frames[mid] as TimelineFrame<T>).seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Append a frame. Another run clears the list; a session frame of the same run drops
   * the frames after its position (a rewind or reset branches); past `max`, the oldest go.
   */
  push(frame: NewFrame<T>): TimelineFrame<T> {
    const last = this.last();
    if (last && last.runId !== frame.runId) this.frames = [];
    else if (frame.kind === "session" && last && last.position > frame.position) {
      this.frames = this.frames.filter((f) => f.position <= frame.position);
    }
    const entry = { ...frame, seq: this.nextSeq++ };
    this.frames.push(entry);
    if (this.frames.length > this.max) this.frames.splice(0, this.frames.length - this.max);
    return entry;
  }

  /** Put `state` into the latest frame (what arrived after it belongs to the same moment). */
  amendLast(state: T): void {
    const last = this.last();
    if (last) this.frames[this.frames.length - 1] = { ...last, state };
  }

  /** Replace the state of every frame `change` changes (the same object: left as it is). */
  amendEach(change: (state: T) => T): boolean {
    let changed = false;
    this.frames = this.frames.map((f) => {
      const state = change(f.state);
      if (state === f.state) return f;
      changed = true;
      return { ...f, state };
    });
    return changed;
  }

  clear(): void {
    this.frames = [];
  }
}

/**
 * The index to show after moving `delta` frames from `current` (null = live, the last
 * frame); null again when the move reaches the last frame.
 */
export function movedIndex(current: number | null, delta: number, length: number): number | null {
  if (length === 0) return null;
  const from = current ?? length - 1;
  const to = Math.max(0, Math.min(length - 1, from + delta));
  return to >= length - 1 ? null : to;
}
