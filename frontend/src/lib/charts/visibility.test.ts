import { describe, expect, it } from "vitest";
import { watchVisibility } from "./visibility";
import type { VisibilityObserverFactory } from "./visibility";

/** A fake IntersectionObserver: `report` delivers entries as the browser would. */
function fakeObserver() {
  const state = {
    report: (_entries: { isIntersecting: boolean }[]) => {},
    observed: [] as Element[],
    margin: "",
    root: undefined as Element | null | undefined,
    disconnected: false,
  };
  const factory: VisibilityObserverFactory = (callback, options) => {
    state.report = (entries) => callback(entries);
    state.margin = options.rootMargin;
    state.root = options.root;
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

  it("observes within a scrolling box when given one, else the viewport", () => {
    const box = { id: "panel" } as unknown as Element;
    const inBox = fakeObserver();
    watchVisibility(element, () => {}, "600px", inBox.factory, box);
    expect(inBox.state.root).toBe(box);
    const onPage = fakeObserver();
    watchVisibility(element, () => {}, "600px", onPage.factory);
    expect(onPage.state.root ?? null).toBeNull();
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
