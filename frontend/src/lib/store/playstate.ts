// Whether the run is playing, as far as the server has shown it (pure: no runes).
//
// Asking to play proves nothing: the server may refuse (an out-of-range rate, no run) or
// stop (an error in a step, a new session). So the page calls it playing only once a frame
// arrives after the request, and paused again on anything that ends play on the server.
import type { ServerEvent } from "../wire/protocol";

/** `asked`: a play command went out and no frame has answered it yet. */
export type PlayState = "paused" | "asked" | "playing";

/** The play state after the server sent `event`. */
export function playStateAfter(state: PlayState, event: ServerEvent): PlayState {
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
