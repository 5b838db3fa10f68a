import { describe, expect, it } from "vitest";
import { PopoverState } from "./popover.svelte";

describe("PopoverState", () => {
  it("keeps one popover open at a time", () => {
    const state = new PopoverState();
    state.toggle("settings");
    expect(state.isOpen("settings")).toBe(true);
    state.toggle("lessons");
    expect(state.isOpen("lessons")).toBe(true);
    expect(state.isOpen("settings")).toBe(false);
    state.toggle("lessons");
    expect(state.openId).toBeNull();
  });

  it("closes only the popover named, or whichever is open", () => {
    const state = new PopoverState();
    state.open("export");
    state.close("settings");
    expect(state.isOpen("export")).toBe(true);
    state.close();
    expect(state.openId).toBeNull();
  });
});
