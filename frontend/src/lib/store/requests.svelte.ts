// Detail asked for on request: a tensor in full, a parameter's update, the gradients a node
// sent that a budgeted frame left out. Unlike the other commands these leave the frame being
// viewed alone: the answer says where it belongs. While an ask waits, and when it is
// refused, the book (detailbook.ts) says so, for the place the learner asked from.
import { untrack } from "svelte";
import type { ConnectionState } from "../wire/socket";
import type {
  Command,
  ErrorEvent,
  ServerEvent,
  TensorCommand,
  TensorEvent,
} from "../wire/protocol";
import {
  answered,
  asked,
  dropped,
  EMPTY_BOOK,
  forgetRefusals,
  refused,
  statusOf,
} from "./detailbook";
import type { DetailBook, DetailKind, DetailStatus } from "./detailbook";
import { Playback } from "./playback.svelte";

/** What a `tensor` command asks for: a parameter's value, its .grad, or an optimizer state. */
export type TensorKind = NonNullable<TensorCommand["kind"]>;

export class DetailRequests extends Playback {
  /** The latest tensor sent in full on request (`requestTensor`); not part of any frame. */
  fullTensor = $state<TensorEvent | null>(null);
  /** What was asked for and is not answered yet, and what was refused. */
  detail = $state.raw<DetailBook>(EMPTY_BOOK);

  /**
   * Ask for one tensor in full (answered by a `tensor` event). Unlike the other commands it
   * leaves the frame being viewed alone: the answer says which iteration it is from.
   */
  requestTensor(
    name: string,
    kind: TensorKind = "value",
    key: TensorCommand["key"] = null,
  ): boolean {
    return this.askFor("tensor", name, { type: "tensor", name, kind, key });
  }

  /**
   * Ask for one parameter's update detail of the latest captured step (answered by an
   * `update` event, which the frame takes into that step; the following steps send it too).
   * Asked once while an ask for it waits.
   */
  requestUpdate(name: string): boolean {
    if (untrack(() => this.detailOf("update", name)).state === "asking") return true;
    return this.askFor("update", name, { type: "update", name });
  }

  /**
   * Ask for the gradients `node` sent in the backward the live run shows, which its frame
   * left out (answered by a `sent` event, which the frame takes into that backward).
   * Asked once while an ask for it waits.
   */
  requestSent(node: string): boolean {
    if (untrack(() => this.detailOf("sent", node)).state === "asking") return true;
    return this.askFor("sent", node, { type: "sent", node });
  }

  /** Where the ask about `target` stands: waiting, refused (and why), or neither. */
  detailOf(kind: DetailKind, target: string): DetailStatus {
    return statusOf(this.detail, kind, target);
  }

  override setConnection(state: ConnectionState, retryInMs: number | null): void {
    super.setConnection(state, retryInMs);
    // A closed socket answers nothing more: what it was asked is asked again once open.
    if (state !== "open") this.detail = dropped(this.detail);
  }

  /** Send an ask and note it. Untracked: panels ask from their effects, which would
   * otherwise depend on the book they write here, and run again for ever. */
  private askFor(kind: DetailKind, target: string, command: Command): boolean {
    return untrack(() => {
      const ok = this.ask(command);
      if (ok) this.detail = asked(this.detail, kind, target);
      return ok;
    });
  }

  /** What an event changes about the asks: an answer, a new run, a frame further on. */
  protected followAsks(event: ServerEvent): void {
    if (event.type === "tensor") this.detail = answered(this.detail, "tensor", event.name);
    else if (event.type === "update") this.detail = answered(this.detail, "update", event.name);
    else if (event.type === "sent") this.detail = answered(this.detail, "sent", event.node);
    // A new run (start, reset, rewind, resume) keeps no detail to send, and a refusal was
    // about a frame the run has now moved on from.
    else if (event.type === "session") this.detail = forgetRefusals(dropped(this.detail));
    else if (event.type === "phase") this.detail = forgetRefusals(this.detail);
  }

  /**
   * Take an error that refuses an ask. True when it refused an `update` or `sent`: the
   * place that asked shows its reason, so it is no toast. A refused `tensor` is still a
   * toast, as it was before asks were followed.
   */
  protected takeRefusal(event: ErrorEvent): boolean {
    if (event.code === "rate_limited") {
      // The server dropped commands without saying which: none of the asks is waiting.
      this.detail = dropped(this.detail);
      return false;
    }
    const { book, ask } = refused(this.detail, event);
    this.detail = book;
    return ask !== null && ask.kind !== "tensor";
  }
}
