// Commands out and what went wrong: a refused command's toast, a command not sent.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { feed, makeStore } from "../__fixtures__/store";
import { LoopStore } from "./state.svelte";

describe("LoopStore errors", () => {
  it("shows each server error as a toast naming the field, until dismissed", () => {
    const { store } = makeStore();
    feed(store, loadFixture("errors").frames);
    expect(store.toasts.map((t) => t.field)).toEqual(["config.lr", "lr", "type"]);
    expect(store.toasts[0]?.code).toBe("invalid_config");
    const id = store.toasts[0]?.id as number;
    store.dismiss(id);
    expect(store.toasts).toHaveLength(2);
  });

  it("says so when a command cannot be sent", () => {
    const store = new LoopStore({ send: () => false, reducedMotion: () => true });
    store.stepPhase();
    expect(store.toasts[0]?.code).toBe("offline");
  });
});
