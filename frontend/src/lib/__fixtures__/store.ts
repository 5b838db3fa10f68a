// A store for tests: commands it sends are collected, time is a fake clock, motion reduced
// unless asked, and the socket open.
import type { Command, ServerEvent } from "../wire/protocol";
import type { StoreOptions } from "../store/options";
import { LoopStore } from "../store/state.svelte";
import { fakeClock } from "./clock";

export function makeStore(options: StoreOptions = {}) {
  const sent: Command[] = [];
  const clock = fakeClock();
  const store = new LoopStore({
    send: (c) => {
      sent.push(c);
      return true;
    },
    clock,
    reducedMotion: () => true,
    ...options,
  });
  store.setConnection("open", null);
  return { store, sent, clock };
}

/** Hand the store each event in order, as the socket would. */
export function feed(store: LoopStore, events: readonly ServerEvent[]): void {
  for (const event of events) store.handle(event);
}
