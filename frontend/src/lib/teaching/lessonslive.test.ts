import { describe, expect, it } from "vitest";
import { EMPTY_FRAME } from "../store/frame";
import type { RunFrame } from "../store/frame";
import type { LanguageInfo, SessionEvent } from "../wire/protocol";
import { charlmLessonLines } from "./lessonslive";
import { dictionaries, format } from "../../i18n/index.svelte";

const INFO: LanguageInfo = {
  corpus: "english",
  vocab: "abcdefgh",
  uniform_loss: Math.log(8),
  block_size: 4,
  sample_every: 100,
  sample: { iteration: 0, text: "hgfe" },
};
const session = { language: INFO } as unknown as SessionEvent;
const frame = (over: Partial<RunFrame>): RunFrame => ({ ...EMPTY_FRAME, session, ...over });
const keys = (lines: { key: string }[]) => lines.map((l) => l.key);

describe("the character-model lessons' live numbers", () => {
  it("follow the rows phase by phase, and say when .grad is not only this batch's rows", () => {
    expect(keys(charlmLessonLines("rows-learn", frame({}), { first: 0, values: [] }))).toEqual([
      "lessonLive.rowsWait",
    ]);
    const backward = frame({ language: { rows_used: [1, 4], grad_rows: [1, 4] } });
    const lines = charlmLessonLines("rows-learn", backward, { first: 0, values: [] });
    expect(keys(lines)).toEqual(["lessonLive.rowsUsed", "lessonLive.gradSame"]);
    expect(lines[0]?.params).toEqual({ used: "2", total: "8" });
    // skip_zero_grad: .grad still holds the last batch's rows as well.
    const piled = frame({ language: { rows_used: [1, 4], grad_rows: [1, 2, 4] } });
    expect(keys(charlmLessonLines("rows-learn", piled, { first: 0, values: [] }))).toContain(
      "lessonLive.gradOther",
    );
    const step = frame({
      language: {
        rows_used: [1, 4],
        grad_rows: [1, 4],
        moves: {
          grad_rows: 2,
          grad_shift: 0.01,
          memory_rows: 1,
          memory_shift: 0.008,
          still_rows: 5,
          still_shift: 2e-6,
        },
      },
    });
    const moved = charlmLessonLines("rows-learn", step, { first: 0, values: [] });
    expect(keys(moved).slice(2)).toEqual([
      "lessonLive.movedGrad",
      "lessonLive.movedMemory",
      "lessonLive.movedStill",
    ]);
    expect(moved[4]?.params.n).toBe("5");
  });

  it("put the loss against ln(vocab), up to the frame shown", () => {
    const losses = { first: 0, values: [2.2, 2.1, 1.9] };
    const now = charlmLessonLines("uniform-loss", frame({ lossesThrough: 2 }), losses);
    expect(keys(now)).toEqual([
      "lessonLive.uniform",
      "lessonLive.firstLoss",
      "lessonLive.lossBelow", // ln 8 ≈ 2.079
    ]);
    // Scrubbed back to iteration 0: only the first loss, nothing from after it.
    const back = charlmLessonLines("uniform-loss", frame({ lossesThrough: 0 }), losses);
    expect(keys(back)).toEqual(["lessonLive.uniform", "lessonLive.firstLoss"]);
    const early = charlmLessonLines("uniform-loss", frame({ lossesThrough: 1 }), {
      first: 0,
      values: [2.2, 2.15],
    });
    expect(keys(early)[2]).toBe("lessonLive.lossAbove");
  });

  it("show the text of the run's start next to the newest", () => {
    const start = charlmLessonLines("sampling", frame({ sample: INFO.sample }), {
      first: 0,
      values: [],
    });
    expect(keys(start)).toEqual(["lessonLive.sampleThen", "lessonLive.sampleWait"]);
    const later = charlmLessonLines(
      "sampling",
      frame({ sample: { iteration: 300, text: "abab" } }),
      { first: 0, values: [] },
    );
    expect(later[1]?.params).toEqual({ iteration: "300", text: "abab" });
  });

  it("fill every placeholder of their sentences in both languages", () => {
    const lines = charlmLessonLines(
      "rows-learn",
      frame({
        language: {
          rows_used: [1],
          grad_rows: [1],
          moves: {
            grad_rows: 1,
            grad_shift: 1,
            memory_rows: 0,
            memory_shift: 0,
            still_rows: 7,
            still_shift: 0,
          },
        },
      }),
      { first: 0, values: [] },
    );
    for (const dict of Object.values(dictionaries)) {
      for (const l of lines) expect(format(dict[l.key], l.params)).not.toMatch(/\{\w+\}/);
    }
  });
});
