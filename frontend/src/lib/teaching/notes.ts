// The notes' worked examples, asked of torch on the server (POST /api/notes): the request
// from the learner's text fields, and the answer's shape (pure, no DOM).

export interface NotesRequest {
  w: number;
  grad: number;
  lr: number;
  pred: number[];
  target: number[];
}

export interface NotesAnswer {
  sgd: { before: number; grad: number; lr: number; after: number; by_hand: number };
  mse: { pred: number[]; target: number[]; squares: number[]; loss: number; by_hand: number };
  state_dict: {
    saved_lr: number;
    changed_lr: number;
    restored_lr: number;
    momentum_saved: number;
    momentum_restored: number;
  };
  zero_grad: { grad_before: number; after_none: number | null; after_zero: number | null };
}

export const NOTES_DEFAULTS: NotesRequest = {
  w: 1.5,
  grad: -0.8,
  lr: 0.01,
  pred: [2, 4, 6],
  target: [1.8, 4.2, 5.5],
};

/** The server's bounds (they keep every result finite), checked before asking. */
export function outOfBounds(request: NotesRequest): keyof NotesRequest | null {
  const inRange = (v: number) => Number.isFinite(v) && Math.abs(v) <= 1000;
  if (!inRange(request.w)) return "w";
  if (!inRange(request.grad)) return "grad";
  if (!(Number.isFinite(request.lr) && request.lr > 0 && request.lr <= 10)) return "lr";
  if (request.pred.length > 8 || !request.pred.every(inRange)) return "pred";
  if (request.target.length !== request.pred.length || !request.target.every(inRange))
    return "target";
  return null;
}

/** "2, 4, 6" → [2, 4, 6]; null when any part is not a finite number. */
export function parseList(text: string): number[] | null {
  const parts = text.split(/[,\s，]+/).filter((p) => p !== "");
  if (parts.length === 0) return null;
  const values = parts.map(Number);
  return values.every(Number.isFinite) ? values : null;
}

/** The error the server sent (it names the field), or a generic one. */
export async function askNotes(
  request: NotesRequest,
  fetcher: typeof fetch = fetch,
): Promise<{ ok: true; answer: NotesAnswer } | { ok: false; message: string }> {
  const response = await fetcher("/api/notes", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const body: unknown = await response.json();
  if (response.ok) return { ok: true, answer: body as NotesAnswer };
  const message =
    typeof body === "object" && body !== null && "message" in body
      ? String((body as { message: unknown }).message)
      : `HTTP ${response.status}`;
  return { ok: false, message };
}
