import { describe, expect, it } from "vitest";
import { refArrowPath, sameArrows } from "./refarrows";
import type { RefArrow } from "./refarrows";

const origin = { left: 100, top: 50, right: 400, height: 600 };

describe("refArrowPath", () => {
  it("runs from the entry's right edge to the box's right edge, in content coordinates", () => {
    const entry = { left: 110, top: 350, right: 300, height: 20 };
    const box = { left: 130, top: 90, right: 320, height: 60 };
    // Start (200, 310); end at x = 222 + 6, y = 90 + min(14, 30) − 50.
    expect(refArrowPath(entry, box, origin, 0)).toBe("M 200 310 C 218 310, 248 54, 228 54");
  });

  it("aims at half the height of a short box, and bends further for later arrows", () => {
    const entry = { left: 110, top: 350, right: 300, height: 20 };
    const box = { left: 130, top: 90, right: 320, height: 10 };
    expect(refArrowPath(entry, box, origin, 2)).toBe("M 200 310 C 228 310, 258 45, 228 45");
    // The bend cycles every five arrows.
    expect(refArrowPath(entry, box, origin, 7)).toBe(refArrowPath(entry, box, origin, 2));
  });
});

describe("sameArrows", () => {
  const a: RefArrow[] = [
    { key: "0:0", param: "w", d: "M 1 2" },
    { key: "0:1", param: "b", d: "M 3 4" },
  ];

  it("is true for equal lists, also when they are different arrays", () => {
    expect(
      sameArrows(
        a,
        a.map((x) => ({ ...x })),
      ),
    ).toBe(true);
    expect(sameArrows([], [])).toBe(true);
  });

  it("is false when a path, a name, the order or the length differs", () => {
    expect(sameArrows(a, [a[0] as RefArrow, { key: "0:1", param: "b", d: "M 3 5" }])).toBe(false);
    expect(sameArrows(a, [a[0] as RefArrow, { key: "0:1", param: "c", d: "M 3 4" }])).toBe(false);
    expect(sameArrows(a, [a[1] as RefArrow, a[0] as RefArrow])).toBe(false);
    expect(sameArrows(a, a.slice(0, 1))).toBe(false);
  });
});
