import { describe, expect, it } from "vitest";
import { watchVisibility } from "./visibility";
import type { VisibilityObserverFactory } from "./visibility";

/** A fake IntersectionObserver: `report` delivers entries as the browser would. */
function fakeObserver() {
  const state = {
    report: (_entries: { isIntersecting: boolean }[]) => {},
    observed: [] as Element[],
    margin: "",
    disconnected: false,
  };
  const factory: VisibilityObserverFactory = (callback, options) => {
    state.report = (entries) => callback(entries);
    state.margin = options.rootMargin;
    return {
      observe: (target) => state.observed.push(target),
      disconnect: () => {
        state.disconnected = true;
      },
    };
  };
  return { state, factory };
}

const element = {} as Element;

describe("watchVisibility", () => {
  it("observes the element with the margin and reports the first state", () => {
    const { state, factory } = fakeObserver();
    const seen: boolean[] = [];
    watchVisibility(element, (v) => seen.push(v), "50px", factory);
    expect(state.observed).toEqual([element]);
    expect(state.margin).toBe("50px");
    state.report([{ isIntersecting: false }]);
    expect(seen).toEqual([false]);
  });

  it("reports changes only, and the latest of several queued entries", () => {
    const { state, factory } = fakeObserver();
    const seen: boolean[] = [];
    watchVisibility(element, (v) => seen.push(v), "0px", factory);
    state.report([{ isIntersecting: true }]);
    state.report([{ isIntersecting: true }]);
    state.report([{ isIntersecting: true }, { isIntersecting: false }]);
    state.report([]);
    state.report([{ isIntersecting: false }, { isIntersecting: true }]);
    expect(seen).toEqual([true, false, true]);
  });

  it("stops watching when the returned function is called", () => {
    const { state, factory } = fakeObserver();
    const stop = watchVisibility(element, () => {}, undefined, factory);
    expect(state.margin).toBe("200px");
    stop();
    expect(state.disconnected).toBe(true);
  });
});
