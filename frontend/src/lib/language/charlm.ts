// A character language model's iteration as the page shows it (pure): the batch as
// characters, the embedding rows it used and the rows whose .grad is not zero, and softmax
// with cross-entropy at one position. Every number is one the server sent; this file only
// looks characters up in the vocabulary and arranges them.
import type { PositionChoices, PositionSoftmax, TensorValue } from "../wire/protocol";
import { decodeFloat } from "../util/tensor";

/** The vocabulary as characters: a character's id is its index (code points, not UTF-16). */
export function vocabChars(vocab: string): string[] {
  return Array.from(vocab);
}

/** A character as it can be seen in a cell: a newline, space or tab gets a visible sign. */
export function visibleChar(char: string | undefined): string {
  if (char === undefined) return "?";
  if (char === "\n") return "↵";
  if (char === " ") return "␣";
  if (char === "\t") return "⇥";
  return char;
}

function ids(tensor: TensorValue | null | undefined): number[] | null {
  if (!tensor?.values) return null;
  return tensor.values.map((v) => decodeFloat(v));
}

export interface BatchRow {
  /** The window's characters, fed to the model. */
  inputs: string[];
  /** The same window one character later: what the model should predict at each place. */
  targets: string[];
}

/**
 * The first `maxRows` windows of the batch: x is (B, T) ids, y the B·T targets row-major
 * (null until the loss phase has sent them). Null when x was not sent in full.
 */
export function batchRows(
  x: TensorValue | null | undefined,
  y: TensorValue | null | undefined,
  chars: readonly string[],
  maxRows = 4,
): BatchRow[] | null {
  const xs = ids(x);
  if (xs === null || x === null || x === undefined || x.shape.length !== 2) return null;
  const [rows = 0, cols = 0] = x.shape;
  const ys = ids(y);
  const out: BatchRow[] = [];
  for (let r = 0; r < Math.min(rows, maxRows); r++) {
    const slice = (values: number[]) =>
      values.slice(r * cols, (r + 1) * cols).map((id) => visibleChar(chars[id]));
    out.push({
      inputs: slice(xs),
      targets: ys !== null && ys.length === xs.length ? slice(ys) : [],
    });
  }
  return out;
}

export interface ProbBar {
  id: number;
  char: string;
  prob: number;
  /** The character that really came next. */
  target: boolean;
}

export interface PositionView {
  position: number;
  target: ProbBar;
  /** -log p(target): this position's term of the mean loss, as torch computed it. */
  loss: number;
  /** The most probable next characters, most probable first. */
  top: ProbBar[];
  /** How many characters share the rest of the probability. */
  others: number;
}

/** Softmax and cross-entropy at the position the server picked, as bars. */
export function positionView(pos: PositionSoftmax, chars: readonly string[]): PositionView {
  const topProbs = ids(pos.top_probs) ?? [];
  const bar = (id: number, prob: number): ProbBar => ({
    id,
    char: visibleChar(chars[id]),
    prob,
    target: id === pos.target,
  });
  const probs = ids(pos.probs);
  const targetProb = probs?.[pos.target] ?? Number.NaN;
  return {
    position: pos.position,
    target: bar(pos.target, targetProb),
    loss: decodeFloat(pos.loss.values?.[0] ?? null),
    top: pos.top_ids.map((id, i) => bar(id, topProbs[i] ?? Number.NaN)),
    others: Math.max(chars.length - pos.top_ids.length, 0),
  };
}

/**
 * Softmax and cross-entropy at a position the learner picked among the shown windows (row
 * r, column c of the batch is position r·T + c), from the loss frame's top-k of every
 * shown position. Null when the frame has none or the position was not sent.
 */
export function pickedView(
  choices: PositionChoices | undefined,
  position: number,
  chars: readonly string[],
): PositionView | null {
  if (!choices || position < 0 || position >= choices.count) return null;
  const target = choices.targets[position];
  const top = choices.top_ids[position];
  const k = top?.length ?? 0;
  const probs = ids(choices.top_probs)?.slice(position * k, (position + 1) * k);
  const targetProb = ids(choices.target_probs)?.[position];
  const loss = ids(choices.losses)?.[position];
  if (target === undefined || !top || !probs || targetProb === undefined || loss === undefined) {
    return null;
  }
  const bar = (id: number, prob: number): ProbBar => ({
    id,
    char: visibleChar(chars[id]),
    prob,
    target: id === target,
  });
  return {
    position,
    target: bar(target, targetProb),
    loss,
    top: top.map((id, i) => bar(id, probs[i] ?? Number.NaN)),
    others: Math.max(chars.length - top.length, 0),
  };
}

export interface RowsView {
  vocabSize: number;
  /** Rows of the embedding table this batch looked up (forward). */
  used: ReadonlySet<number>;
  /** Rows of token_embedding.weight.grad that are not zero (backward), null before it. */
  grad: ReadonlySet<number> | null;
  /** The grad rows are exactly the used rows: only the rows you used learn. */
  same: boolean | null;
}

export function rowsView(
  rowsUsed: readonly number[] | undefined,
  gradRows: readonly number[] | undefined,
  vocabSize: number,
): RowsView {
  const used = new Set(rowsUsed ?? []);
  const grad = gradRows === undefined ? null : new Set(gradRows);
  const same =
    grad === null || rowsUsed === undefined
      ? null
      : grad.size === used.size && [...grad].every((row) => used.has(row));
  return { vocabSize, used, grad, same };
}
