// Which run the page holds across a dropped connection: start, resume, and resume's retry.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { makeStore } from "../__fixtures__/store";
import type { ServerEvent, SessionEvent } from "../wire/protocol";
import { RESUME_RETRY_MS } from "./state.svelte";

describe("LoopStore reconnecting", () => {
  const session = (token: string) =>
    ({ ...(loadFixture("linear").frames[0] as SessionEvent), token }) as ServerEvent;

  it("starts a run on the first connection", () => {
    const { store, sent } = makeStore();
    store.connected();
    expect(sent).toEqual([{ type: "start", scenario: "linear", config: {} }]);
  });

  it("resumes the run by its token after a drop", () => {
    const { store, sent } = makeStore();
    store.handle(session("secret-1"));
    store.connected();
    expect(sent.at(-1)).toEqual({ type: "resume", token: "secret-1" });
    store.handle(session("secret-1"));
    expect(store.toasts).toEqual([]);
  });

  function retryingStore() {
    const waiting: { fn: () => void; ms: number }[] = [];
    return { ...makeStore({ later: (fn, ms) => void waiting.push({ fn, ms }) }), waiting };
  }
  const notFound = { type: "error", code: "not_found", message: "no such run", field: "token" };

  it("starts again, without a toast, when the server no longer has the run", () => {
    const { store, sent, waiting } = retryingStore();
    store.handle(session("gone"));
    store.connected();
    store.handle(notFound as ServerEvent);
    // Asked once more, a moment later, before giving the run up.
    expect(sent.at(-1)).toEqual({ type: "resume", token: "gone" });
    expect(waiting.map((w) => w.ms)).toEqual([RESUME_RETRY_MS]);
    waiting[0]?.fn();
    expect(sent.filter((c) => c.type === "resume")).toHaveLength(2);
    store.handle(notFound as ServerEvent);
    expect(store.toasts).toEqual([]);
    expect(sent.at(-1)).toMatchObject({ type: "start", scenario: "linear" });
    expect(waiting).toHaveLength(1);
  });

  it("takes its run back when it is parked only after the first resume (a reload's race)", () => {
    const { store, sent, waiting } = retryingStore();
    store.handle(session("old-tab"));
    store.connected();
    store.handle(notFound as ServerEvent);
    waiting[0]?.fn();
    store.handle(session("old-tab-2"));
    expect(sent.map((c) => c.type)).toEqual(["resume", "resume"]);
    expect(store.toasts).toEqual([]);
    // A later drop asks again, with one retry of its own.
    store.connected();
    store.handle(notFound as ServerEvent);
    expect(waiting).toHaveLength(2);
  });
});
