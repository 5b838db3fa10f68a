import { describe, expect, it } from "vitest";
import { keepIfSame, sameItems } from "./stable";

describe("sameItems", () => {
  it("compares item by item, NaN equal to NaN", () => {
    expect(sameItems([1, Number.NaN, "Infinity"], [1, Number.NaN, "Infinity"])).toBe(true);
    expect(sameItems([1, 2], [1, 3])).toBe(false);
    expect(sameItems([1, 2], [1, 2, 3])).toBe(false);
    // Object.is tells 0 from −0: a sign that changes is a change.
    expect(sameItems([0], [-0])).toBe(false);
  });

  it("treats null and undefined as equal only to themselves", () => {
    expect(sameItems(null, null)).toBe(true);
    expect(sameItems(undefined, undefined)).toBe(true);
    expect(sameItems(null, [])).toBe(false);
    expect(sameItems([], undefined)).toBe(false);
  });
});

describe("keepIfSame", () => {
  it("returns the previous object when the new one is equal", () => {
    const previous = [1, 2, 3];
    expect(keepIfSame(previous, [1, 2, 3], sameItems)).toBe(previous);
  });

  it("returns the new object when it differs or there is no previous one", () => {
    const next = [1, 2, 4];
    expect(keepIfSame([1, 2, 3], next, sameItems)).toBe(next);
    expect(keepIfSame<number[] | null>(undefined, null, sameItems)).toBeNull();
  });
});
