// The page's own sentence for each notice the loop detector sends (the server's message,
// in English and with its specifics, is shown under it where it adds something).
import type { MessageKey } from "../../i18n/en";

const KNOWN: Record<string, { key: MessageKey; detail: boolean }> = {
  backward_unknown_root: { key: "trace.notice.backward_unknown_root", detail: false },
  no_optimizer: { key: "trace.notice.no_optimizer", detail: false },
  optimizer_idle: { key: "trace.notice.optimizer_idle", detail: true },
  no_training_step: { key: "trace.notice.no_training_step", detail: true },
  trace_error: { key: "trace.notice.trace_error", detail: true },
  output_dropped: { key: "trace.notice.output_dropped", detail: true },
  notebook_only: { key: "trace.notice.notebook_only", detail: true },
  scripted_module: { key: "trace.notice.scripted_module", detail: false },
  compiled_module: { key: "trace.notice.compiled_module", detail: false },
  grad_without_backward: { key: "trace.notice.grad_without_backward", detail: false },
  func_transform: { key: "trace.notice.func_transform", detail: true },
};

export interface NoticeText {
  /** The page's sentence (null: a code this page does not know; show the server's). */
  readonly key: MessageKey | null;
  /** Whether the server's message is worth showing under the sentence. */
  readonly detail: boolean;
}

export function noticeText(code: string): NoticeText {
  return KNOWN[code] ?? { key: null, detail: true };
}
