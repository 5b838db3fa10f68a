// Whether the run is playing, as far as the server has shown it (pure: no runes).
//
// Asking to play proves nothing: the server may refuse (an out-of-range rate, no run) or
// stop (an error in a step, a new session). A server that sends `play_state` events says so
// itself, and from its first one the page believes only those. Before that, the page calls
// it playing once a frame arrives after the request, and paused again on anything that ends
// play on the server.
import type { ServerEvent } from "../wire/protocol";

/** `asked`: a play command went out and the server has not answered it yet. */
export type PlayState = "paused" | "asked" | "playing";

export interface PlayStatus {
  state: PlayState;
  /** The server reports play itself (it sent a `play_state` event). */
  reported: boolean;
}

export const PAUSED: PlayStatus = { state: "paused", reported: false };

function inferred(state: PlayState, event: ServerEvent): PlayState {
  switch (event.type) {
    case "phase":
    case "losses":
      // A frame after the request: the server's play task is stepping.
      return state === "asked" ? "playing" : state;
    case "session":
      // start, reset, rewind and resume all stop play on the server.
      return "paused";
    case "error":
      // A refused play, or a step of play that failed (play ends with it).
      return "paused";
    default:
      return state;
  }
}

/** The play status after the server sent `event`. */
export function playStatusAfter(status: PlayStatus, event: ServerEvent): PlayStatus {
  if (event.type === "play_state") {
    return { state: event.playing ? "playing" : "paused", reported: true };
  }
  if (status.reported) return status;
  // The same object when nothing changed: the store's readers re-run on a new one.
  const state = inferred(status.state, event);
  return state === status.state ? status : { state, reported: false };
}
