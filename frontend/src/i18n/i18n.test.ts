import { describe, expect, it } from "vitest";
import { en } from "./en";
import { detectLang, dictionaries, format } from "./index.svelte";
import { zh } from "./zh";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  it("have identical keys", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it("use the same placeholders in both languages", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("have no empty strings", () => {
    for (const dict of Object.values(dictionaries)) {
      for (const [key, text] of Object.entries(dict)) expect(text.trim(), key).not.toBe("");
    }
  });

  it("really are translated (Chinese text contains CJK characters)", () => {
    const cjk = /[\u4e00-\u9fff]/;
    const translated = Object.values(zh).filter((s) => cjk.test(s)).length;
    expect(translated / Object.keys(zh).length).toBeGreaterThan(0.6);
  });
});

describe("format and language choice", () => {
  it("fills placeholders and leaves unknown ones visible", () => {
    expect(format("{a} + {b}", { a: 1, b: "x" })).toBe("1 + x");
    expect(format("{missing}")).toBe("{missing}");
  });

  it("prefers the stored choice, then the browser's language", () => {
    expect(detectLang("zh", ["en-US"])).toBe("zh");
    expect(detectLang(null, ["zh-CN", "en"])).toBe("zh");
    expect(detectLang(null, ["de-DE", "en-GB"])).toBe("en");
    expect(detectLang("fr", ["fr-FR"])).toBe("en");
    expect(detectLang(null, [])).toBe("en");
  });
});
