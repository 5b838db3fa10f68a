import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import type { SessionEvent } from "../wire/protocol";
import { schemaDefaults } from "./scenarios";
import { formatHash, parseHash, sameRunHash } from "./urlstate";

const session = loadFixture("linear").frames[0] as SessionEvent;
const defaults = schemaDefaults(session.config_schema);

describe("URL hash", () => {
  it("writes only what differs from the defaults, scenario first and language last", () => {
    const config = { ...session.config, lr: 0.02 };
    expect(formatHash({ scenario: "linear", config, lang: "en" }, defaults)).toBe(
      "#scenario=linear&lr=0.02&lang=en",
    );
    expect(
      formatHash({ scenario: "linear", config: session.config ?? {}, lang: "zh" }, defaults),
    ).toBe("#scenario=linear&lang=zh");
  });

  it("round-trips every kind of field", () => {
    const config = {
      ...session.config,
      lr: 0.03,
      batch_size: 10,
      skip_zero_grad: true,
      frozen: ["linear.bias"],
      weight_decay: null,
      optimizer: "momentum",
      eps: 1e-7,
    };
    const hash = formatHash({ scenario: "linear", config, lang: "zh" }, defaults);
    expect(hash).toContain("frozen=linear.bias");
    expect(hash).toContain("skip_zero_grad=true");
    const parsed = parseHash(hash);
    expect(parsed?.scenario).toBe("linear");
    expect(parsed?.lang).toBe("zh");
    for (const [key, value] of Object.entries(parsed?.config ?? {})) {
      expect(value, key).toEqual(config[key as keyof typeof config]);
    }
    // Everything not written is the default, so the server rebuilds the same run.
    expect({ ...defaults, ...parsed?.config }).toEqual({ ...defaults, ...config });
  });

  it("round-trips lists of numbers, nulls and empty lists", () => {
    const config = { hidden: [32, 8], batch_size: null, frozen: [] };
    const hash = formatHash({ scenario: "mlp", config, lang: "en" }, { frozen: ["x"] });
    expect(hash).toBe("#scenario=mlp&batch_size=null&frozen=&hidden=32,8&lang=en");
    expect(parseHash(hash)?.config).toEqual({ batch_size: null, frozen: [], hidden: [32, 8] });
  });

  it("reads a hand-written link", () => {
    expect(parseHash("#scenario=linear&lr=0.02")).toEqual({
      scenario: "linear",
      config: { lr: 0.02 },
      lang: null,
    });
    expect(parseHash("#lang=zh")).toEqual({ scenario: null, config: {}, lang: "zh" });
  });

  it("ignores what it cannot use and keeps bad values for the server to name", () => {
    expect(parseHash("")).toBeNull();
    expect(parseHash("#")).toBeNull();
    expect(parseHash("#lang=fr")).toBeNull();
    expect(parseHash("#lr=fast")?.config).toEqual({ lr: "fast" });
    expect(parseHash('#future={"a":1}')?.config).toEqual({ future: { a: 1 } });
  });

  it("reports a scenario it does not know instead of dropping it silently", () => {
    expect(parseHash("#scenario=nope")).toEqual({
      scenario: null,
      config: {},
      lang: null,
      unknownScenario: "nope",
    });
    expect(parseHash("#scenario=resnet&lr=0.02&lang=zh")?.unknownScenario).toBe("resnet");
    expect(parseHash("#scenario=mlp")?.unknownScenario).toBeUndefined();
  });

  it("compares runs regardless of field order and language", () => {
    const a = parseHash("#scenario=linear&lr=0.02&seed=1&lang=en");
    const b = parseHash("#scenario=linear&seed=1&lr=0.02&lang=zh");
    expect(sameRunHash(a, b)).toBe(true);
    expect(sameRunHash(a, parseHash("#scenario=linear&lr=0.03"))).toBe(false);
  });
});
