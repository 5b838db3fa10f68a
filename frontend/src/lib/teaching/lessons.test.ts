import { describe, expect, it, vi } from "vitest";
import { compareEpochSeries, compareSeries, parseCompare } from "../charts/charts";
import { loadFixture } from "../__fixtures__/load";
import { buildRunExport, exportFileName, paddedViewBox, pngSize } from "../charts/export";
import {
  LESSONS,
  changedSettings,
  fetchCompare,
  lessonById,
  stepCommands,
  lessonStillApplies,
  variantKind,
} from "./lessons";
import { schemaDefaults } from "../store/scenarios";
import { formatHash } from "../store/urlstate";
import type { CompareRequest } from "./lessons";
import type { Command, PhaseEvent, SessionEvent } from "../wire/protocol";
import { TeachingState } from "./teaching.svelte";
import { LoopStore } from "../store/state.svelte";
import { fakeClock } from "../__fixtures__/clock";
import { dictionaries } from "../../i18n/index.svelte";

const COMPARE_BODY = {
  runs: [
    {
      variant: { batch_size: null },
      batch_size: 100,
      n_batches: 1,
      losses: [146.7, 0.5],
      epoch_losses: [146.7, 0.5],
      diverged: false,
    },
    {
      variant: { batch_size: 1 },
      batch_size: 1,
      n_batches: 4,
      losses: [3, 2, "Infinity", 1, 0.5, 0.4, 0.3, 0.2],
      epoch_losses: ["Infinity", 0.35],
      diverged: false,
    },
    {
      variant: { batch_size: 10 },
      batch_size: 10,
      n_batches: 2,
      losses: [9, 8, 7, 6],
      epoch_losses: [8.5, 6.5],
      diverged: false,
    },
  ],
};

describe("lessons", () => {
  it("are seven, each with a run the server accepts and text in both languages", () => {
    expect(LESSONS.map((l) => l.id)).toEqual([
      "no-zero-grad",
      "lr-too-high",
      "frozen-bias",
      "batch-sizes",
      "rows-learn",
      "uniform-loss",
      "sampling",
    ]);
    for (const lesson of LESSONS) {
      for (const part of ["title", "body", "watch", "action"]) {
        const key = `lesson.${lesson.id}.${part}`;
        for (const dict of Object.values(dictionaries)) {
          expect((dict as Record<string, string>)[key], key).toBeTruthy();
        }
      }
    }
  });

  it("break one thing each", () => {
    expect(lessonById("no-zero-grad").config).toEqual({ skip_zero_grad: true });
    expect(lessonById("lr-too-high").config).toEqual({ lr: 0.03 });
    expect(lessonById("frozen-bias").config).toEqual({ frozen: ["linear.bias"] });
    const compare = lessonById("batch-sizes").action;
    expect(compare.kind === "compare" && compare.request.variants).toEqual([
      { batch_size: null },
      { batch_size: 1 },
      { batch_size: 10 },
    ]);
  });

  it("last while the run keeps the lesson's settings", () => {
    const lesson = lessonById("frozen-bias");
    expect(lessonStillApplies(lesson, "linear", { lr: 0.01, frozen: ["linear.bias"] })).toBe(true);
    expect(lessonStillApplies(lesson, "linear", { lr: 0.01, frozen: [] })).toBe(false);
    expect(lessonStillApplies(lesson, "mlp", { frozen: ["linear.bias"] })).toBe(false);
  });

  it("name the settings that differ from the scenario's defaults", () => {
    const defaults = { lr: 0.01, seed: 42, skip_zero_grad: false };
    expect(changedSettings({ lr: 0.01, seed: 42 }, defaults)).toEqual([]);
    expect(changedSettings({ lr: 0.03, seed: 42, frozen: [] }, defaults)).toEqual(["lr"]);
    expect(
      changedSettings({ lr: 0.01, skip_zero_grad: true, frozen: ["linear.bias"] }, defaults),
    ).toEqual(["frozen", "skip_zero_grad"]);
  });

  it("start their run through the store with one click", () => {
    const sent: unknown[] = [];
    const store = new LoopStore({ send: (c) => (sent.push(c), true), clock: fakeClock() });
    const lesson = lessonById("lr-too-high");
    store.startRun(lesson.scenario, lesson.config);
    expect(sent).toEqual([{ type: "start", scenario: "linear", config: { lr: 0.03 } }]);
  });
});

describe("comparison of batch sizes", () => {
  it("parses the answer and puts every run on an epoch axis", () => {
    const runs = parseCompare(COMPARE_BODY);
    expect(runs).toHaveLength(3);
    const [gd, sgd, mini] = runs ?? [];
    expect(gd && variantKind(gd)).toBe("gd");
    expect(sgd && variantKind(sgd)).toBe("sgd");
    expect(mini && variantKind(mini)).toBe("minibatch");
    const s = sgd ? compareSeries(sgd) : null;
    expect(s?.points.map((p) => p.x)).toEqual([0.25, 0.5, 1, 1.25, 1.5, 1.75, 2]);
    expect(s?.nonFinite).toEqual([{ x: 0.75, raw: "Infinity" }]);
    expect(sgd ? compareEpochSeries(sgd) : null).toEqual([{ x: 2, y: 0.35 }]);
    expect(parseCompare({ runs: [{ variant: {} }] })).toBeNull();
    expect(parseCompare("nope")).toBeNull();
  });

  it("posts the request and reports the server's refusal in its words", async () => {
    const request: CompareRequest = {
      scenario: "linear",
      config: {},
      variants: [{ batch_size: 1 }],
      epochs: 5,
    };
    const seen: { url: string; body: string }[] = [];
    const ok = (async (url: string, init?: RequestInit) => {
      seen.push({ url, body: String(init?.body) });
      return new Response(JSON.stringify(COMPARE_BODY), { status: 200 });
    }) as typeof fetch;
    const result = await fetchCompare(request, ok);
    expect(result.ok && result.runs.length).toBe(3);
    expect(seen[0]?.url).toBe("/api/compare");
    expect(JSON.parse(seen[0]?.body ?? "{}")).toEqual(request);
    const refused = (async () =>
      new Response(
        JSON.stringify({ code: "out_of_range", message: "epochs: too many", field: "epochs" }),
        {
          status: 422,
        },
      )) as typeof fetch;
    expect(await fetchCompare(request, refused)).toEqual({
      ok: false,
      message: "epochs: too many",
    });
  });
});

describe("export", () => {
  it("writes the frames as received: session (without its token), graph, phases", () => {
    const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
    const linear = loadFixture("linear");
    for (const f of linear.frames) store.handle(f);
    const run = buildRunExport(store.timeline.all(), new Date(0));
    expect(run.format).toBe("loopscope-run");
    expect(run.scenario).toBe("linear");
    expect(run.frames.map((f) => f.type)).toEqual(linear.frames.map((f) => f.type));
    const session = run.frames[0];
    expect(session?.type === "session" && session.token).toBe("");
    expect(run.frames.slice(1)).toEqual(linear.frames.slice(1));
    expect(run.exported_at).toBe("1970-01-01T00:00:00.000Z");
  });

  it("names files and sizes images", () => {
    const when = new Date(2025, 0, 2, 3, 4, 5);
    expect(exportFileName("linear", 12, "json", when)).toBe(
      "loopscope-linear-it12-20250102-030405.json",
    );
    expect(paddedViewBox({ x: 0, y: 10, width: 100, height: 50 }, 8)).toBe("-8 2 116 66");
    expect(pngSize(100, 50)).toEqual({ width: 200, height: 100 });
    expect(pngSize(5000, 100)).toEqual({ width: 4096, height: 82 });
  });
});

describe("TeachingState", () => {
  function setup(body: unknown = COMPARE_BODY) {
    const sent: Command[] = [];
    const store = new LoopStore({ send: (c) => (sent.push(c), true), clock: fakeClock() });
    store.setConnection("open", null);
    const fetcher = (async () =>
      new Response(JSON.stringify(body), { status: 200 })) as typeof fetch;
    return { store, sent, teaching: new TeachingState(store, fetcher) };
  }

  it("starts a lesson's run, and its action steps it a frame at a time, then the rest", async () => {
    const { store, sent, teaching } = setup();
    teaching.start("lr-too-high");
    expect(sent).toEqual([{ type: "start", scenario: "linear", config: { lr: 0.03 } }]);
    const frames = loadFixture("linear").frames;
    const session = frames[0] as SessionEvent;
    const phase = frames.find((e) => e.type === "phase") as PhaseEvent;
    store.handle({ ...session, config: { ...session.config, lr: 0.03 } });
    expect(teaching.lesson?.id).toBe("lr-too-high");
    teaching.act();
    // The next command waits for the previous one's frame: the path gets a point per step.
    for (let i = 0; i < 16; i++) {
      expect(sent.at(-1)).toEqual({ type: "step", unit: "iteration", count: 1 });
      expect(teaching.stepping).toBe(true);
      const count = sent.length;
      store.handle(phase);
      await vi.waitFor(() => expect(sent.length).toBe(count + 1));
    }
    expect(sent.at(-1)).toEqual({ type: "step", unit: "iteration", count: 300 - 16 });
    store.handle(phase);
    await vi.waitFor(() => expect(teaching.stepping).toBe(false));
    // Another run (new settings): the lesson no longer describes it.
    store.handle(session);
    expect(teaching.lesson).toBeNull();
  });

  it("trains the comparison and shows it in the loss slot", async () => {
    const { sent, teaching } = setup();
    teaching.start("batch-sizes");
    expect(teaching.compare.status).toBe("loading");
    expect(teaching.showCompare).toBe(true);
    await vi.waitFor(() => expect(teaching.compare.status).toBe("done"));
    // The lesson's own run starts clean: the scenario's defaults, not the previous run.
    expect(sent).toEqual([{ type: "start", scenario: "linear", config: {} }]);
    teaching.close();
    expect(teaching.lesson).toBeNull();
    expect(teaching.showCompare).toBe(false);
    expect(teaching.compare.status).toBe("idle");
  });

  it("start from a clean config whatever the run had before", () => {
    const { store, sent, teaching } = setup();
    const session = loadFixture("linear").frames[0] as SessionEvent;
    store.handle({ ...session, config: { ...session.config, lr: 0.03, skip_zero_grad: true } });
    teaching.start("frozen-bias");
    expect(sent.at(-1)).toEqual({
      type: "start",
      scenario: "linear",
      config: { frozen: ["linear.bias"] },
    });
  });

  it.each(["batch-sizes", "no-zero-grad", "lr-too-high"] as const)(
    "end (%s) when the scenario changes",
    (id) => {
      const { store, teaching } = setup();
      const linear = loadFixture("linear").frames[0] as SessionEvent;
      const lesson = lessonById(id);
      teaching.start(id);
      store.handle({ ...linear, config: { ...linear.config, ...lesson.config } });
      expect(teaching.lesson?.id).toBe(id);
      store.handle(loadFixture("mlp").frames[0] as SessionEvent);
      expect(teaching.lesson).toBeNull();
      expect(teaching.showCompare).toBe(false);
      expect(teaching.compare.status).toBe("idle");
      // Back to linear: the lesson does not come back by itself.
      store.handle(linear);
      expect(teaching.lesson).toBeNull();
    },
  );

  it("is not ended by a session that was on its way before the lesson's run", () => {
    const { store, teaching } = setup();
    const linear = loadFixture("linear").frames[0] as SessionEvent;
    teaching.start("no-zero-grad");
    store.handle(loadFixture("mlp").frames[0] as SessionEvent);
    expect(teaching.lesson?.id).toBe("no-zero-grad");
    store.handle({ ...linear, config: { ...linear.config, skip_zero_grad: true } });
    store.handle({ ...linear, config: { ...linear.config, skip_zero_grad: true } });
    expect(teaching.lesson?.id).toBe("no-zero-grad");
  });

  it("closing puts the scenario's defaults back: no lesson setting left in the URL", () => {
    const { store, sent, teaching } = setup();
    const linear = loadFixture("linear").frames[0] as SessionEvent;
    teaching.start("no-zero-grad");
    const lessonRun = { ...linear, config: { ...linear.config, skip_zero_grad: true } };
    store.handle(lessonRun);
    const defaults = schemaDefaults(linear.config_schema);
    expect(formatHash({ scenario: "linear", config: store.config, lang: "en" }, defaults)).toBe(
      "#scenario=linear&skip_zero_grad=true&lang=en",
    );
    teaching.close();
    expect(teaching.lesson).toBeNull();
    expect(sent.at(-1)).toEqual({ type: "start", scenario: "linear", config: {} });
    expect(store.config).toEqual({});
    store.handle(linear);
    expect(formatHash({ scenario: "linear", config: store.config, lang: "en" }, defaults)).toBe(
      "#scenario=linear&lang=en",
    );
  });

  it("closing leaves a run alone that already has the defaults", () => {
    const { store, sent, teaching } = setup();
    const linear = loadFixture("linear").frames[0] as SessionEvent;
    teaching.start("batch-sizes");
    store.handle(linear);
    const before = sent.length;
    teaching.close();
    expect(sent).toHaveLength(before);
  });

  it("ends when the learner turns the lesson's switch off", () => {
    const { store, sent, teaching } = setup();
    const linear = loadFixture("linear").frames[0] as SessionEvent;
    teaching.start("no-zero-grad");
    store.handle({ ...linear, config: { ...linear.config, skip_zero_grad: true } });
    expect(store.teachingSwitches).toEqual({ skipZeroGrad: true, frozen: [] });
    store.restoreZeroGrad();
    expect(sent.at(-1)).toEqual({ type: "set", skip_zero_grad: false });
    store.handle(linear);
    expect(teaching.lesson).toBeNull();
    expect(store.teachingSwitches.skipZeroGrad).toBe(false);
  });

  it("reports a failed comparison", async () => {
    const { teaching } = setup({ nonsense: true });
    teaching.start("batch-sizes");
    await vi.waitFor(() => expect(teaching.compare.status).toBe("failed"));
  });
});

describe("a link whose config the server refuses", () => {
  it("says why and runs the scenario's defaults", () => {
    const sent: Command[] = [];
    const store = new LoopStore({ send: (c) => (sent.push(c), true), clock: fakeClock() });
    store.setConnection("open", null);
    store.startRun("linear", { lr: -1 });
    store.handle({
      type: "error",
      code: "invalid_config",
      message: "config.lr: > 0",
      field: "config.lr",
    });
    expect(store.toasts.map((t) => t.field)).toEqual(["config.lr"]);
    expect(sent.at(-1)).toEqual({ type: "start", scenario: "linear", config: {} });
  });
});

describe("stepCommands", () => {
  it("sends the first steps one by one, then the rest at once, `count` in all", () => {
    const commands = stepCommands(lessonById("lr-too-high").action);
    expect(commands.reduce((n, [, c]) => n + c, 0)).toBe(300);
    expect(commands.slice(0, -1).every(([u, c]) => u === "iteration" && c === 1)).toBe(true);
    expect(commands).toHaveLength(17);
    expect(stepCommands(lessonById("no-zero-grad").action)).toEqual(Array(5).fill(["phase", 1]));
    expect(stepCommands(lessonById("batch-sizes").action)).toEqual([]);
  });
});
