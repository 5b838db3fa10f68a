// Frame-paced updates: a value that changes faster than the screen refreshes is applied at
// most once per animation frame, and only its latest version.
import { browserClock } from "./animation";
import type { Clock } from "./animation";

export type FrameClock = Pick<Clock, "frame" | "cancelFrame">;

/** Posts `run` as a task of its own (after whatever the browser has to do first). */
export type PostTask = (run: () => void) => void;

function messageTask(): PostTask {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (run) => {
    queue.push(run);
    channel.port2.postMessage(null);
  };
}

/**
 * A clock whose `frame` callbacks run just after the next frame has been drawn, not at its
 * start: a task posted from an animation-frame callback runs once that frame's style, layout
 * and paint are done. What such a callback changes is drawn in the frame after, so work
 * handed to it is split from the work of the frame that was already due.
 */
export class AfterFrameClock implements FrameClock {
  private next = 1;
  /** Waiting for its animation frame (the frame's handle), or posted (null). */
  private readonly waiting = new Map<number, number | null>();
  private post: PostTask | null;

  constructor(
    private readonly clock: FrameClock = browserClock,
    post: PostTask | null = null,
  ) {
    this.post = post;
  }

  frame(callback: () => void): number {
    const handle = this.next++;
    const frame = this.clock.frame(() => {
      this.waiting.set(handle, null);
      this.post ??= messageTask();
      this.post(() => {
        // Cancelled after its frame: the task still comes, and does nothing.
        if (!this.waiting.delete(handle)) return;
        callback();
      });
    });
    this.waiting.set(handle, frame);
    return handle;
  }

  cancelFrame(handle: number): void {
    const frame = this.waiting.get(handle);
    if (frame !== undefined && frame !== null) this.clock.cancelFrame(frame);
    this.waiting.delete(handle);
  }
}

/**
 * Hands values to `apply`: `later(v)` at the clock's next frame (an animation frame, or just
 * after one with AfterFrameClock), keeping only the latest value handed in before it; `now(v)`
 * at once, dropping any value still waiting.
 */
export class FrameLatch<T> {
  private handle: number | null = null;
  private waiting: { value: T } | null = null;

  constructor(
    private readonly apply: (value: T) => void,
    private readonly clock: FrameClock = browserClock,
  ) {}

  /** Whether a value waits for the next frame. */
  get pending(): boolean {
    return this.waiting !== null;
  }

  later(value: T): void {
    this.waiting = { value };
    this.handle ??= this.clock.frame(() => {
      this.handle = null;
      const waiting = this.waiting;
      this.waiting = null;
      if (waiting) this.apply(waiting.value);
    });
  }

  now(value: T): void {
    this.cancel();
    this.apply(value);
  }

  /** Drop the waiting value, if any. */
  cancel(): void {
    if (this.handle !== null) this.clock.cancelFrame(this.handle);
    this.handle = null;
    this.waiting = null;
  }
}
