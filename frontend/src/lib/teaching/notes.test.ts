import { describe, expect, it } from "vitest";
import { askNotes, NOTES_DEFAULTS, outOfBounds, parseList } from "./notes";

describe("the notes' examples request", () => {
  it("reads lists written with commas, spaces or Chinese commas", () => {
    expect(parseList("2, 4, 6")).toEqual([2, 4, 6]);
    expect(parseList("1.8，4.2 5.5")).toEqual([1.8, 4.2, 5.5]);
    expect(parseList("1, x")).toBeNull();
    expect(parseList("  ")).toBeNull();
  });

  it("checks the server's bounds before asking", () => {
    expect(outOfBounds(NOTES_DEFAULTS)).toBeNull();
    expect(outOfBounds({ ...NOTES_DEFAULTS, lr: 50 })).toBe("lr");
    expect(outOfBounds({ ...NOTES_DEFAULTS, w: Number.NaN })).toBe("w");
    expect(outOfBounds({ ...NOTES_DEFAULTS, target: [1] })).toBe("target");
  });

  it("passes the server's message on when it refuses", async () => {
    const refused = (async () =>
      new Response(
        JSON.stringify({ code: "invalid_message", message: "lr: too big", field: "lr" }),
        {
          status: 422,
        },
      )) as typeof fetch;
    expect(await askNotes(NOTES_DEFAULTS, refused)).toEqual({ ok: false, message: "lr: too big" });
  });
});
