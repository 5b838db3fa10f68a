// Narration of real recorded runs, through the real store, in both languages.
import { describe, expect, it } from "vitest";
import { en } from "../../i18n/en";
import { format } from "../../i18n/index.svelte";
import { zh } from "../../i18n/zh";
import { fakeClock } from "../__fixtures__/clock";
import { loadFixture } from "../__fixtures__/load";
import type { Fixture, TeachingName } from "../__fixtures__/load";
import type { Line } from "../util/line";
import { narrate } from "./narration";
import type { SessionEvent } from "../wire/protocol";
import { LoopStore } from "../store/state.svelte";

function storeOf(): LoopStore {
  const store = new LoopStore({ send: () => true, clock: fakeClock(), reducedMotion: () => true });
  store.setConnection("open", null);
  return store;
}

function narrationOf(store: LoopStore): Line[] {
  return narrate({
    session: store.view.session,
    graph: store.view.graph,
    phase: store.phase,
    next: store.nextPhase,
    captures: store.view.captures,
    loss: store.loss,
    previousGrads: store.previousGrads,
    references: store.view.references,
    iteration: store.iteration,
  });
}

/** Every narration of a run, phase by phase (the first one before any phase), as text. */
function replay(fixture: Fixture, dict: Record<string, string> = en): string[][] {
  const store = storeOf();
  const out: string[][] = [];
  for (const frame of fixture.frames) {
    store.handle(frame);
    if (frame.type === "session" || frame.type === "phase") {
      out.push(narrationOf(store).map((l) => format(dict[l.key] as string, l.params)));
    }
  }
  return out;
}

const teaching = (name: TeachingName): Fixture => loadFixture(`teaching-${name}`);

describe("narration of the default linear run", () => {
  const fixture = loadFixture("linear");
  const [idle, forward, loss, zero, backward, step, forward2, , zero2] = replay(fixture);
  const session = fixture.frames[0] as SessionEvent;
  const at = session.source.phase_lines;

  it("starts with the objects and the next line", () => {
    expect(idle?.[0]).toContain("the model holds 2 parameters (weight, bias)");
    expect(idle?.at(-1)).toBe(`Next: line ${at.forward}, y_pred = model(x_batch)`);
  });

  it("forward: the batch size, the call chain and y_pred", () => {
    expect(forward?.[0]).toContain(`Line ${at.forward} ran model(x_batch) on 100 points`);
    expect(forward?.[0]).toContain("SimpleNet → Linear");
    expect(forward?.[0]).toContain("first value is 1.0173");
    expect(forward?.at(-1)).toBe(`Next: line ${at.loss}, loss = criterion(y_pred, y_batch)`);
  });

  it("loss: the criterion, the value and the graph's root", () => {
    expect(loss?.[0]).toContain("MSELoss compared the 100 predictions");
    expect(loss?.[0]).toContain("loss = 146.6861");
    expect(loss?.[0]).toContain("MseLossBackward0");
  });

  it("zero_grad: nothing to clear in the first iteration, the old gradient in the second", () => {
    expect(zero?.[0]).toContain("They were None already");
    expect(zero2?.[0]).toContain("weight.grad was −143.5077");
  });

  it("backward: the nodes, the gradient, and which way the step will go", () => {
    expect(backward?.[0]).toContain("ran 5 nodes");
    expect(backward?.[0]).toContain("weight.grad = −143.5077");
    expect(backward?.[1]).toContain("so the step will raise it");
  });

  it("step: before → after with lr and grad, and the in-place _version bump", () => {
    expect(step?.[0]).toContain("weight went 0.1447 → 1.5797");
    expect(step?.[0]).toContain("lr 0.01 times grad −143.5077");
    // Ten times its own size: said so, next to the SGD sentence.
    expect(step?.[1]).toContain("more than weight's own size (0.1447)");
    expect(step?.[2]).toContain("weight._version went 1 → 2");
    expect(forward2?.[0]).toContain(`Line ${at.forward} ran`);
  });
});

describe("narration per optimizer and in Chinese", () => {
  it("momentum names the buffer, Adam its running averages", () => {
    const momentum = replay(teaching("momentum"));
    expect(momentum[5]?.[0]).toContain("with momentum 0.9");
    const adam = replay(teaching("adam"));
    expect(adam[5]?.[0]).toMatch(/Adam's step\(\) updated its running averages for weight \(m = /);
  });

  it("fills every placeholder in both languages, for every recorded run", () => {
    const runs = (["sgd", "momentum", "adam", "adamw", "l1", "classify"] as const).map(teaching);
    for (const run of [...runs, loadFixture("linear"), loadFixture("mlp")]) {
      for (const dict of [en, zh]) {
        for (const lines of replay(run, dict)) {
          expect(lines.length).toBeGreaterThan(1);
          for (const text of lines) {
            expect(text).not.toMatch(/\{\w+\}/);
            expect(text).not.toContain("undefined");
            expect(text).not.toContain("?");
          }
        }
      }
    }
  });

  it("speaks Chinese with the same numbers", () => {
    const lines = replay(loadFixture("linear"), zh);
    expect(lines[5]?.[0]).toContain("weight 从 0.1447 变成 1.5797");
    expect(lines[5]?.[2]).toContain("weight._version 从 1 变成 2");
  });
});
