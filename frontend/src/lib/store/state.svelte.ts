// The one store of a learner's session, fed by server events; views only read it.
//
// The run itself is a chain of immutable frames (frame.ts): the store keeps the live one and
// those of the timeline, and `view` is the one panels read (live, or the frame scrubbed to).
// The store is built in layers, one concern each, every layer extending the one below:
//   runview   the live frame, the timeline, `view` and the panels' reads of it
//   outbox    the connection, commands out, toasts
//   playback  play/pause, steps, run to, speed, animation, time travel
//   requests  detail asked for on request (tensor, update, sent)
//   runs      start, resume, settings, what a session event or a refusal changes
// and this file only routes each event to them, in the order the panels rely on.
import type { ServerEvent } from "../wire/protocol";
import { reduce } from "./frame";
import type { StoreOptions } from "./options";
import { playStatusAfter } from "./playstate";
import { reduceTrace } from "../trace/tracelog";
import { Runs } from "./runs.svelte";

export { MAX_LOSSES } from "./runview.svelte";
export type { Toast } from "./outbox.svelte";
export type { TensorKind } from "./requests.svelte";
export type { DetailKind, DetailRefusal, DetailStatus } from "./detailbook";
export { RESUME_RETRY_MS } from "./runs.svelte";
export type { ConfigNote, PendingReplay, SessionListener } from "./runs.svelte";
export type { SavedSpeed, SpeedStore, StoreOptions, TokenStore } from "./options";

export class LoopStore extends Runs {
  constructor(options: StoreOptions = {}) {
    super(options);
  }

  /** Apply one server event to the live frame (a frame scrubbed to stays as it is). */
  handle(event: ServerEvent): void {
    const before = this.live;
    this.live = reduce(before, event);
    this.trace = reduceTrace(this.trace, event);
    this.playStatus = playStatusAfter(this.playStatus, event);
    if (event.type === "progress") {
      this.runProgress = { first: event.first, done: event.done, total: event.total };
    } else if (event.type === "session" || event.type === "phase" || event.type === "error") {
      this.runProgress = null; // the long step ended (or was refused)
    }
    this.followAsks(event);
    switch (event.type) {
      case "session":
        this.applySession(event, before.session);
        break;
      case "phase":
        this.applyPhase(event);
        // Paced play: tell the server once this frame is drawn, so it runs the next step.
        if (this.playAsked) this.afterPaint(() => void this.send({ type: "shown" }));
        break;
      case "losses":
        // Older losses of a long command (or of coalesced frames), ahead of its phase event.
        this.addLosses(event);
        break;
      case "error":
        this.applyError(event);
        break;
      case "tensor":
        this.fullTensor = event;
        break;
      case "sent":
      case "update":
        this.amendRecorded(before, event);
        break;
      default:
        break;
    }
    this.recordFrame(event);
    if (this.viewing !== null) {
      this.keepViewing(this.viewing);
      // A past frame stays still while the live run moves on behind it.
      if (this.viewing !== null) this.animator.finish();
    }
  }
}
