// The numbers a character-model lesson reads off the live run (pure): the frame shown and
// the run's losses in, sentences out. Nothing is computed here that torch did not send:
// rows and moves come from the server's capture, losses as received.
import type { RunFrame } from "../store/frame";
import { lastLoss, lossesThrough } from "../store/losses";
import type { Line } from "../util/line";
import { decodeFloat, formatNumber } from "../util/tensor";
import type { LossChunk } from "../wire/protocol";
import type { CharlmLessonId } from "./lessons";

const line = (key: Line["key"], params: Record<string, string | number> = {}): Line => ({
  key,
  params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
});

/** What the embedding rows did in this iteration, phase by phase as they arrive. */
function rowsLines(frame: RunFrame): Line[] {
  const vocab = Array.from(frame.session?.language?.vocab ?? "").length;
  const { rows_used: used, grad_rows: grad, moves } = frame.language;
  const out: Line[] = [];
  if (used) out.push(line("lessonLive.rowsUsed", { used: used.length, total: vocab }));
  if (grad && used) {
    const same = grad.length === used.length && grad.every((r) => used.includes(r));
    out.push(line(same ? "lessonLive.gradSame" : "lessonLive.gradOther", { n: grad.length }));
  }
  if (moves) {
    out.push(
      line("lessonLive.movedGrad", {
        n: moves.grad_rows,
        shift: formatNumber(moves.grad_shift),
      }),
      line("lessonLive.movedMemory", {
        n: moves.memory_rows,
        shift: formatNumber(moves.memory_shift),
      }),
      line("lessonLive.movedStill", {
        n: moves.still_rows,
        shift: formatNumber(moves.still_shift),
      }),
    );
  }
  if (!out.length) out.push(line("lessonLive.rowsWait"));
  return out;
}

/** The loss against ln(vocab_size): where it started and where it is now. */
function uniformLines(frame: RunFrame, losses: LossChunk): Line[] {
  const info = frame.session?.language;
  if (!info) return [];
  const uniform = info.uniform_loss;
  const out = [
    line("lessonLive.uniform", {
      n: Array.from(info.vocab).length,
      value: formatNumber(uniform),
    }),
  ];
  const kept = lossesThrough(losses, frame.lossesThrough);
  const first = kept.values[0];
  const last = lastLoss(kept);
  if (first === undefined || last === null) return [...out, line("lessonLive.lossWait")];
  out.push(line("lessonLive.firstLoss", { iteration: kept.first, loss: formatNumber(first) }));
  if (last.iteration !== kept.first) {
    const now = decodeFloat(last.loss);
    out.push(
      line(now < uniform ? "lessonLive.lossBelow" : "lessonLive.lossAbove", {
        iteration: last.iteration,
        loss: formatNumber(now),
        gap: formatNumber(Math.abs(uniform - now)),
      }),
    );
  }
  return out;
}

/** The text the model wrote when the run began, and the newest. */
function sampleLines(frame: RunFrame): Line[] {
  const first = frame.session?.language?.sample;
  const now = frame.sample;
  if (!first) return [];
  const out = [line("lessonLive.sampleThen", { iteration: first.iteration, text: first.text })];
  if (now && now.iteration !== first.iteration) {
    out.push(line("lessonLive.sampleNow", { iteration: now.iteration, text: now.text }));
  } else {
    out.push(line("lessonLive.sampleWait"));
  }
  return out;
}

/** The live sentences of a character-model lesson, for the frame shown. */
export function charlmLessonLines(id: CharlmLessonId, frame: RunFrame, losses: LossChunk): Line[] {
  if (id === "rows-learn") return rowsLines(frame);
  if (id === "uniform-loss") return uniformLines(frame, losses);
  return sampleLines(frame);
}
