// What a store is made with: where commands go, the clocks, and what outlives the page.
import type { Clock } from "../util/animation";
import type { Command } from "../wire/protocol";
import type { Speed } from "./speeds";

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
