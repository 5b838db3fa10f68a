// The play status is a value the store's readers depend on: it must be the same object
// while the server's events leave it as it was, and a new one only when it changes.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import type { PhaseEvent, ServerEvent } from "../wire/protocol";
import { PAUSED, playStatusAfter } from "./playstate";

const PHASE = loadFixture("linear").frames.find((f) => f.type === "phase") as PhaseEvent;

describe("playStatusAfter", () => {
  it("keeps the same object while an inferred state does not change", () => {
    const playing = playStatusAfter({ state: "asked", reported: false }, PHASE);
    expect(playing).toEqual({ state: "playing", reported: false });
    expect(playStatusAfter(playing, PHASE)).toBe(playing);
    expect(playStatusAfter(PAUSED, PHASE)).toBe(PAUSED);
  });

  it("changes only on an event that changes it", () => {
    const playing = playStatusAfter({ state: "asked", reported: false }, PHASE);
    const refused: ServerEvent = {
      type: "error",
      code: "wrong_state",
      field: "type",
      message: "no",
    } as ServerEvent;
    expect(playStatusAfter(playing, refused)).toEqual(PAUSED);
  });

  it("believes only the server's reports once it sent one", () => {
    const reported = playStatusAfter(PAUSED, { type: "play_state", playing: true } as ServerEvent);
    expect(reported).toEqual({ state: "playing", reported: true });
    expect(playStatusAfter(reported, PHASE)).toBe(reported);
  });
});
