// A view of reactive state that may follow it one frame late (see FrameLatch).
import { untrack } from "svelte";
import type { FrameClock } from "../util/framelatch";
import { AfterFrameClock, FrameLatch } from "../util/framelatch";

const afterFrame = new AfterFrameClock();

/**
 * `source()` as a view shows it: while `lag()` holds, one frame late — it changes just after
 * the next frame is drawn, so it is drawn in the frame after that, apart from the changes that
 * frame already had to draw; values that come faster are skipped, the latest is shown.
 * Otherwise at once. While `hold()` holds (nobody sees the view), it keeps the value it has
 * and takes the latest as soon as `hold()` ends. Call it while a component initialises (it
 * owns two effects).
 */
export function lagging<T>(
  source: () => T,
  lag: () => boolean,
  clock: FrameClock = afterFrame,
  hold: () => boolean = () => false,
): { readonly current: T } {
  let current = $state.raw(untrack(source));
  const latch = new FrameLatch<T>((value) => (current = value), clock);
  $effect(() => {
    const value = source();
    if (hold()) latch.cancel();
    else if (lag()) latch.later(value);
    else latch.now(value);
  });
  $effect(() => () => latch.cancel());
  return {
    get current() {
      return current;
    },
  };
}
