// Detail asked for on request: a tensor in full, a parameter's update, the gradients a node
// sent that a budgeted frame left out. Unlike the other commands these leave the frame being
// viewed alone: the answer says where it belongs.
import type { TensorCommand, TensorEvent } from "../wire/protocol";
import { Playback } from "./playback.svelte";

/** What a `tensor` command asks for: a parameter's value, its .grad, or an optimizer state. */
export type TensorKind = NonNullable<TensorCommand["kind"]>;

export class DetailRequests extends Playback {
  /** The latest tensor sent in full on request (`requestTensor`); not part of any frame. */
  fullTensor = $state<TensorEvent | null>(null);

  /**
   * Ask for one tensor in full (answered by a `tensor` event). Unlike the other commands it
   * leaves the frame being viewed alone: the answer says which iteration it is from.
   */
  requestTensor(
    name: string,
    kind: TensorKind = "value",
    key: TensorCommand["key"] = null,
  ): boolean {
    return this.ask({ type: "tensor", name, kind, key });
  }

  /**
   * Ask for one parameter's update detail of the latest captured step (answered by an
   * `update` event, which the frame takes into that step; the following steps send it too).
   */
  requestUpdate(name: string): boolean {
    return this.ask({ type: "update", name });
  }

  /**
   * Ask for the gradients `node` sent in the backward the live run shows, which its frame
   * left out (answered by a `sent` event, which the frame takes into that backward).
   */
  requestSent(node: string): boolean {
    return this.ask({ type: "sent", node });
  }
}
