// A reload resumes the same run: the token outlives the page in the store it is given, and
// every session event's new token replaces the spent one.
import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { loadFixture } from "../__fixtures__/load";
import type { Command, ErrorEvent, SessionEvent } from "../wire/protocol";
import { LoopStore, type TokenStore } from "./state.svelte";

function memory(initial: string | null): TokenStore & { value: string | null } {
  return {
    value: initial,
    load() {
      return this.value;
    },
    save(token) {
      this.value = token;
    },
  };
}

function storeWith(tokens: TokenStore, sent: Command[]): LoopStore {
  return new LoopStore({
    send: (c) => (sent.push(c), true),
    clock: fakeClock(),
    reducedMotion: () => true,
    tokenStore: tokens,
    later: (fn) => fn(), // the retry of a refused resume, at once
  });
}

const session = loadFixture("linear").frames[0] as SessionEvent;

describe("resume across a reload", () => {
  it("a page with a kept token asks to resume instead of starting over", () => {
    const sent: Command[] = [];
    const store = storeWith(memory("kept-token"), sent);
    store.connected();
    expect(sent).toEqual([{ type: "resume", token: "kept-token" }]);
  });

  it("keeps the newest token from every session event", () => {
    const tokens = memory(null);
    const sent: Command[] = [];
    const store = storeWith(tokens, sent);
    store.connected();
    expect(sent[0]?.type).toBe("start");
    store.handle({ ...session, token: "first" });
    expect(tokens.value).toBe("first");
    store.handle({ ...session, token: "rotated" });
    expect(tokens.value).toBe("rotated");
  });

  it("a token the server no longer knows is forgotten, and a new run starts", () => {
    const tokens = memory("expired");
    const sent: Command[] = [];
    const store = storeWith(tokens, sent);
    store.connected();
    const notFound: ErrorEvent = {
      type: "error",
      code: "not_found",
      message: "no such run",
      field: null,
    };
    store.handle(notFound);
    // Asked once more first (the old page's run may be parked a moment later)...
    expect(sent.map((c) => c.type)).toEqual(["resume", "resume"]);
    expect(tokens.value).toBe("expired");
    // ...then given up.
    store.handle(notFound);
    expect(tokens.value).toBeNull();
    expect(sent.at(-1)?.type).toBe("start");
  });
});
