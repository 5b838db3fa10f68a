import { describe, expect, it } from "vitest";
import { fakeClock } from "../__fixtures__/clock";
import { loadFixture, TEACHING } from "../__fixtures__/load";
import type { FixtureName } from "../__fixtures__/load";
import { lossSeries } from "../charts/charts";
import { fitGeometry } from "../charts/charts";
import { explainPhase } from "../teaching/explain";
import { chainRule, lossFormula, outputGradFormula } from "../teaching/formulas";
import { narrate } from "../teaching/narration";
import { PHASES } from "../wire/protocol";
import type { CaptureByPhase, ServerEvent, SessionEvent } from "../wire/protocol";
import { EMPTY_FRAME, gradsOf, paramsOf, reduce } from "./frame";
import type { RunFrame } from "./frame";
import { LoopStore } from "./state.svelte";

/** A deep-frozen copy: any write to it throws (tests run as strict-mode modules). */
function frozen<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== "object" || v === null || Object.isFrozen(v)) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}

const RECORDED: FixtureName[] = [
  "linear",
  "mlp",
  "diverge",
  ...TEACHING.map((t) => `teaching-${t}` as const),
];

describe("reduce(frame, event)", () => {
  it("hands back the tensors it already had while the event repeats their numbers", () => {
    const kept: Record<string, number> = {};
    for (const name of RECORDED) {
      let frame: RunFrame = EMPTY_FRAME;
      let shared = 0;
      for (const event of loadFixture(name).frames) {
        const next = reduce(frame, event);
        if (event.type === "phase" && next.event) {
          const before = { ...paramsOf(frame), ...gradsOf(frame) };
          const now = { ...paramsOf(next), ...gradsOf(next) };
          const sent = { ...event.params, ...event.grads };
          // Whatever object is kept, the frame says exactly what the event said.
          expect(JSON.stringify(now), name).toBe(JSON.stringify(sent));
          for (const [key, tensor] of Object.entries(now)) {
            const same = JSON.stringify(before[key]) === JSON.stringify(sent[key]);
            expect(tensor === before[key], `${name} ${event.phase} ${key}`).toBe(
              same && before[key] !== undefined,
            );
            if (same && before[key] !== undefined && before[key] !== null) shared += 1;
          }
        }
        frame = next;
      }
      kept[name] = shared;
    }
    // Runs stepped phase by phase repeat parameters between steps: some tensors were kept.
    expect(kept.linear).toBeGreaterThan(0);
    expect(kept.mlp).toBeGreaterThan(0);
  });

  it("carries the params and grads an event leaves out: every frame as if it had them", () => {
    // The server leaves `params` (`grads`) out of a phase event when none changed since the
    // last event that carried them. Take the recorded runs (every event complete), leave out
    // what that rule allows, and the frames must be the ones the complete events give.
    const leftOut: Record<string, number> = {};
    for (const name of RECORDED) {
      let full: RunFrame = EMPTY_FRAME;
      let thin: RunFrame = EMPTY_FRAME;
      let held: Record<string, string> = {};
      let left = 0;
      for (const event of loadFixture(name).frames) {
        let sent: ServerEvent = event;
        if (event.type === "session") {
          held = { params: JSON.stringify(event.params), grads: JSON.stringify(event.grads) };
        } else if (event.type === "phase") {
          const copy: Record<string, unknown> = { ...event };
          for (const key of ["params", "grads"] as const) {
            const text = JSON.stringify(event[key]);
            if (text === held[key]) {
              delete copy[key];
              left += 1;
            }
            held[key] = text;
          }
          sent = copy as unknown as ServerEvent;
        }
        full = reduce(full, event);
        thin = reduce(thin, sent);
        expect(JSON.stringify(paramsOf(thin)), name).toBe(JSON.stringify(paramsOf(full)));
        expect(JSON.stringify(gradsOf(thin)), name).toBe(JSON.stringify(gradsOf(full)));
        expect(thin.event, name).toEqual(full.event);
      }
      leftOut[name] = left;
    }
    // Runs stepped phase by phase leave them out between steps.
    expect(leftOut.linear).toBeGreaterThan(0);
    expect(leftOut.mlp).toBeGreaterThan(0);
  });

  it("puts back a fill's value left out as the event's own .grad", () => {
    let stripped = 0;
    for (const name of RECORDED) {
      let full: RunFrame = EMPTY_FRAME;
      let thin: RunFrame = EMPTY_FRAME;
      for (const event of loadFixture(name).frames) {
        let sent: ServerEvent = event;
        if (event.type === "phase" && event.phase === "backward" && event.capture) {
          const capture = event.capture as CaptureByPhase["backward"];
          const fills = capture.fills.map(({ value, ...rest }) => {
            const same = JSON.stringify(event.grads?.[rest.param]) === JSON.stringify(value);
            stripped += same ? 1 : 0;
            return same ? rest : { ...rest, value };
          });
          sent = { ...event, capture: { ...capture, fills } } as ServerEvent;
        }
        full = reduce(full, event);
        thin = reduce(thin, sent);
        expect(thin.captures.backward, name).toEqual(full.captures.backward);
      }
    }
    expect(stripped).toBeGreaterThan(0);
  });

  it("takes an update asked for into the step it belongs to, in the optimizer's order", () => {
    let full: RunFrame = EMPTY_FRAME;
    let thin: RunFrame = EMPTY_FRAME;
    let asked = 0;
    for (const event of loadFixture("teaching-adam").frames) {
      full = reduce(full, event);
      if (event.type !== "phase" || event.phase !== "step" || !event.capture) {
        thin = reduce(thin, event);
        continue;
      }
      const capture = event.capture as CaptureByPhase["step"];
      const [first, ...rest] = capture.updates;
      if (!first) throw new Error("a step without updates");
      const brief = { ...capture, updates: rest, brief: [first.name] };
      thin = reduce(thin, { ...event, capture: brief } as ServerEvent);
      expect(thin.captures.step?.updates.map((u) => u.name)).not.toContain(first.name);
      const answer = { type: "update", name: first.name, update: first } as const;
      // An answer for another step (the run moved on) leaves the frame as it is.
      const stale = reduce(thin, { ...answer, iteration: event.iteration - 1 });
      expect(stale).toBe(thin);
      thin = reduce(thin, { ...answer, iteration: event.iteration });
      expect(thin.captures.step).toEqual({ ...capture, brief: [] });
      expect(thin.stepLog.at(-1)?.capture).toEqual({ ...capture, brief: [] });
      asked += 1;
    }
    expect(asked).toBeGreaterThan(0);
  });

  it("takes the gradients a node sent, asked for, into the backward that left them out", () => {
    let full: RunFrame = EMPTY_FRAME;
    let thin: RunFrame = EMPTY_FRAME;
    let asked = 0;
    for (const event of loadFixture("teaching-adam").frames) {
      full = reduce(full, event);
      if (event.type !== "phase" || event.phase !== "backward" || !event.capture) {
        thin = reduce(thin, event);
        continue;
      }
      const capture = event.capture as CaptureByPhase["backward"];
      const node = capture.order[0];
      const grads = node === undefined ? undefined : capture.sent[node];
      if (node === undefined || grads === undefined) throw new Error("a backward sent nothing");
      const { [node]: _gone, ...kept } = capture.sent;
      const cut = { ...capture, sent: kept, left_out: [node] };
      thin = reduce(thin, { ...event, capture: cut } as ServerEvent);
      expect(thin.captures.backward?.sent[node]).toBeUndefined();
      const answer = {
        type: "sent",
        node,
        iteration: event.iteration,
        graph_id: capture.graph_id,
        sent: grads,
      } as const;
      // An answer for another backward (the run moved on, another graph, a node the frame
      // carried) leaves the frame as it is.
      expect(reduce(thin, { ...answer, iteration: event.iteration - 1 })).toBe(thin);
      expect(reduce(thin, { ...answer, graph_id: "other" })).toBe(thin);
      expect(reduce(thin, { ...answer, node: "Elsewhere" })).toBe(thin);
      thin = reduce(thin, answer);
      expect(thin.captures.backward?.sent).toEqual(full.captures.backward?.sent);
      expect(thin.captures.backward?.left_out).toEqual([]);
      asked += 1;
    }
    expect(asked).toBeGreaterThan(0);
  });

  it("keeps an answered gradient in the backward frame scrubbed back to", () => {
    const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
    const frames = loadFixture("teaching-adam").frames;
    const at = frames.findIndex((e) => e.type === "phase" && e.phase === "backward");
    const event = frames[at];
    if (event?.type !== "phase" || !event.capture) throw new Error("no backward frame");
    const capture = event.capture as CaptureByPhase["backward"];
    const node = capture.order[0] ?? "";
    const { [node]: grads, ...kept } = capture.sent;
    for (const e of frames.slice(0, at)) store.handle(e);
    store.handle({ ...event, capture: { ...capture, sent: kept, left_out: [node] } });
    const next = frames[at + 1];
    if (next) store.handle(next); // the step: the backward is still the latest one
    expect(store.atLatestBackward).toBe(true);
    store.handle({
      type: "sent",
      node,
      iteration: event.iteration,
      graph_id: capture.graph_id,
      sent: grads ?? [],
    });
    expect(store.live.captures.backward?.sent[node]).toEqual(grads);
    store.viewStep(-1); // back to the backward frame itself
    expect(store.view.event?.phase).toBe("backward");
    expect(store.view.captures.backward?.sent[node]).toEqual(grads);
    expect(store.view.captures.backward?.left_out).toEqual([]);
  });

  it("never changes the frame or the event it is given", () => {
    for (const name of RECORDED) {
      let frame: RunFrame = frozen(EMPTY_FRAME);
      for (const event of frozen(loadFixture(name).frames)) {
        // Throws on any write into the frozen frame or event.
        frame = frozen(reduce(frame, event));
      }
      expect(frame.session).not.toBeNull();
    }
  });

  it("keeps the graph across a session of the same model, drops it for another", () => {
    const [session, , graph] = loadFixture("linear").frames as [
      SessionEvent,
      ServerEvent,
      ServerEvent,
    ];
    const withGraph = reduce(reduce(EMPTY_FRAME, session), graph);
    expect(reduce(withGraph, { ...session, iteration: 0 }).graph).toBe(withGraph.graph);
    const mlp = loadFixture("mlp").frames[0] as SessionEvent;
    expect(reduce(withGraph, mlp).graph).toBeNull();
  });

  it("starts the captures afresh with each iteration, keeps the last two steps", () => {
    let frame = EMPTY_FRAME;
    const seen: string[][] = [];
    const steps: number[][] = [];
    for (const event of loadFixture("teaching-adam").frames) {
      frame = reduce(frame, event);
      if (event.type === "phase") {
        seen.push(Object.keys(frame.captures));
        steps.push(frame.stepLog.map((r) => r.iteration));
      }
    }
    expect(seen.slice(0, 5)).toEqual(PHASES.map((_, i) => PHASES.slice(0, i + 1)));
    expect(seen[5]).toEqual(["forward"]);
    expect(steps.at(-1)).toEqual([1, 2]);
  });

  it("cuts the losses a rewind leaves behind", () => {
    let frame = EMPTY_FRAME;
    for (const event of loadFixture("linear").frames) frame = reduce(frame, event);
    expect(frame.lossesThrough).toBe(1);
    const session = loadFixture("linear").frames[0] as SessionEvent;
    expect(reduce(frame, { ...session, iteration: 1 }).lossesThrough).toBe(0);
    expect(reduce(frame, { ...session, run_id: "another" }).lossesThrough).toBe(-1);
  });
});

/** What each panel derives from the store, through the same reads the components make. */
function panelData(store: LoopStore) {
  const view = store.view;
  const criterion = view.session?.criterion.cls ?? "";
  const explainInput = {
    session: view.session,
    loss: store.loss,
    nodeCount: view.graph?.nodes.length ?? 0,
  };
  return {
    session: view.session,
    status: [
      store.phase,
      store.nextPhase,
      store.iteration,
      store.epoch,
      store.loss,
      store.diverged,
    ],
    objects: [store.params, store.grads, store.previousGrads, view.references, store.nBatches],
    graph: [view.graph, view.captures],
    loop: PHASES.map((p) => explainPhase(p, view.captures[p] as never, explainInput)),
    narration: narrate({
      session: view.session,
      graph: view.graph,
      phase: store.phase,
      next: store.nextPhase,
      captures: view.captures,
      loss: store.loss,
      previousGrads: store.previousGrads,
      references: view.references,
      iteration: store.iteration,
    }),
    formulas: [
      lossFormula(criterion, view.captures.loss, view.graph, store.loss),
      outputGradFormula(criterion, view.captures.loss, view.captures.backward, view.graph),
      chainRule(view.captures.forward, view.captures.backward, view.graph),
      view.stepLog,
    ],
    refs: [view.references, view.stepLog, view.session?.parameters],
    charts: [
      fitGeometry(view.fit),
      lossSeries(store.losses, store.viewing === null ? null : view.lossesThrough + 1),
    ],
  };
}

describe("time travel", () => {
  it("every panel shows frame k scrubbed to exactly as it showed it live", () => {
    for (const name of RECORDED) {
      const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
      const shown = new Map<number, ReturnType<typeof panelData>>();
      for (const event of loadFixture(name).frames) {
        store.handle(event);
        // What the page shows once the event is drawn, while frame k is the latest. (A losses
        // event is not drawn alone: the server sends it with the phase event it precedes.)
        const last = store.timeline.last();
        if (last && event.type !== "losses") shown.set(last.seq, structuredClone(panelData(store)));
      }
      expect(shown.size).toBe(store.timeline.length);
      for (const frame of store.timeline.all()) {
        store.viewFrame(frame.seq);
        expect(panelData(store), `${name}, frame ${frame.seq}`).toEqual(shown.get(frame.seq));
      }
      store.viewFrame(null);
    }
  });

  it("keeps the frame scrubbed to while the live run moves on", () => {
    const store = new LoopStore({ clock: fakeClock(), reducedMotion: () => true });
    const frames = loadFixture("teaching-adam").frames;
    for (const event of frames.slice(0, 8)) store.handle(event);
    store.viewStep(-3);
    const before = structuredClone(panelData(store));
    for (const event of frames.slice(8)) store.handle(event);
    expect(panelData(store)).toEqual(before);
    store.viewFrame(null);
    expect(store.view).toBe(store.live);
  });
});
