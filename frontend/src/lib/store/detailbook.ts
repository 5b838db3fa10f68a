// The detail asked for and not answered yet (`tensor`, `update`, `sent`), and the refusals
// of what was asked: pure, so the store keeps one immutable book and replaces it.
//
// An error event does not say which command it refuses. The server handles one
// connection's commands in the order they came, so a refusal is the oldest ask still
// waiting among those its field can belong to: `node` is only `sent`'s, `key` only
// `tensor`'s, `name` is `update`'s or `tensor`'s, and `type` (a run that cannot answer such
// a command at all) any of them.
import type { MessageKey } from "../../i18n/en";
import type { ErrorCode, ErrorEvent } from "../wire/protocol";

export type DetailKind = "tensor" | "update" | "sent";

export interface DetailAsk {
  readonly kind: DetailKind;
  /** The parameter (`tensor`, `update`) or the graph node (`sent`) asked about. */
  readonly target: string;
}

/** Why the server would not send what was asked, as its error event said. */
export interface DetailRefusal {
  readonly code: ErrorCode;
  readonly message: string;
  readonly field: string | null;
}

export type DetailStatus =
  | { readonly state: "idle" }
  | { readonly state: "asking" }
  | { readonly state: "refused"; readonly refusal: DetailRefusal };

export interface DetailBook {
  /** Asks sent and not answered, oldest first. */
  readonly asking: readonly DetailAsk[];
  readonly refused: readonly (DetailAsk & { readonly refusal: DetailRefusal })[];
}

export const EMPTY_BOOK: DetailBook = { asking: [], refused: [] };

const IDLE: DetailStatus = { state: "idle" };
const ASKING: DetailStatus = { state: "asking" };

const FIELD_KINDS: Record<string, readonly DetailKind[]> = {
  node: ["sent"],
  key: ["tensor"],
  name: ["update", "tensor"],
  type: ["tensor", "update", "sent"],
};

const same = (a: DetailAsk, kind: DetailKind, target: string) =>
  a.kind === kind && a.target === target;

/** The book once `target` was asked for: waiting, and no longer refused. */
export function asked(book: DetailBook, kind: DetailKind, target: string): DetailBook {
  return {
    asking: [...book.asking, { kind, target }],
    refused: book.refused.filter((r) => !same(r, kind, target)),
  };
}

/** The book once the answer about `target` came: its oldest ask is no longer waiting. */
export function answered(book: DetailBook, kind: DetailKind, target: string): DetailBook {
  const index = book.asking.findIndex((a) => same(a, kind, target));
  if (index < 0) return book;
  return { ...book, asking: book.asking.filter((_, i) => i !== index) };
}

/**
 * The book after an error event: the ask it refuses (see the top of this file) moves from
 * waiting to refused, with the error as its reason. `ask` is null when the error refuses no
 * ask of the book (it was about another command); the book is then the same.
 */
export function refused(
  book: DetailBook,
  error: ErrorEvent,
): { book: DetailBook; ask: DetailAsk | null } {
  const kinds = FIELD_KINDS[error.field ?? ""] ?? [];
  const index = book.asking.findIndex((a) => kinds.includes(a.kind));
  const ask = book.asking[index];
  if (ask === undefined) return { book, ask: null };
  const refusal = { code: error.code, message: error.message, field: error.field ?? null };
  return {
    book: {
      asking: book.asking.filter((_, i) => i !== index),
      refused: [...book.refused.filter((r) => !same(r, ask.kind, ask.target)), { ...ask, refusal }],
    },
    ask,
  };
}

/** The book with nothing waiting: the asks will not be answered (a new run, a lost socket,
 * commands dropped by the server's rate limit). Refusals stay until `forgetRefusals`. */
export function dropped(book: DetailBook): DetailBook {
  return book.asking.length ? { ...book, asking: [] } : book;
}

/** The book without its refusals: they were about a frame the run has moved on from. */
export function forgetRefusals(book: DetailBook): DetailBook {
  return book.refused.length ? { ...book, refused: [] } : book;
}

/** Where the ask about `target` stands: waiting, refused (and why), or neither. */
export function statusOf(book: DetailBook, kind: DetailKind, target: string): DetailStatus {
  if (book.asking.some((a) => same(a, kind, target))) return ASKING;
  const refusal = book.refused.find((r) => same(r, kind, target))?.refusal;
  return refusal ? { state: "refused", refusal } : IDLE;
}

/** The sentence that says, in the learner's language, why an ask was refused. */
export function refusalKey(refusal: DetailRefusal): MessageKey {
  if (refusal.code === "wrong_state" && refusal.field === "type") return "detail.refusedRun";
  if (refusal.code === "wrong_state") return "detail.refusedMoved";
  if (refusal.code === "not_found") return "detail.refusedUnknown";
  return "detail.refusedOther";
}
