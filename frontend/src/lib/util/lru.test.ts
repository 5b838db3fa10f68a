import { describe, expect, it } from "vitest";
import { LruCache } from "./lru";

describe("LruCache", () => {
  it("makes a value once and then reuses it", () => {
    const cache = new LruCache<string, string>(4);
    let made = 0;
    const make = (k: string) => {
      made += 1;
      return k.toUpperCase();
    };
    expect(cache.get("a", make)).toBe("A");
    expect(cache.get("a", make)).toBe("A");
    expect(made).toBe(1);
  });

  it("drops the least recently used entry past its capacity", () => {
    const cache = new LruCache<string, number>(2);
    const made: string[] = [];
    const make = (k: string) => {
      made.push(k);
      return k.length;
    };
    cache.get("a", make);
    cache.get("bb", make);
    cache.get("a", make); // "a" is now more recent than "bb"
    cache.get("ccc", make); // evicts "bb"
    expect(cache.size).toBe(2);
    cache.get("a", make);
    cache.get("bb", make); // made again (evicts "ccc")
    expect(made).toEqual(["a", "bb", "ccc", "bb"]);
  });

  it("keeps undefined values like any other", () => {
    const cache = new LruCache<number, undefined>(1);
    let made = 0;
    cache.get(1, () => {
      made += 1;
      return undefined;
    });
    cache.get(1, () => {
      made += 1;
      return undefined;
    });
    expect(made).toBe(1);
  });

  it("refuses a capacity below one", () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
