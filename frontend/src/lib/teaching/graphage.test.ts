// Which iteration's graph the panel draws, through a recorded run: the page must not pass an
// earlier iteration's graph off as the one autograd holds now.
import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import { EMPTY_FRAME, reduce } from "../store/frame";
import type { RunFrame } from "../store/frame";
import type { PhaseEvent, SessionEvent } from "../wire/protocol";
import { staleGraphIteration } from "./runstate";

function replay(): RunFrame[] {
  const frames: RunFrame[] = [];
  let frame = EMPTY_FRAME;
  for (const event of loadFixture("linear").frames) frames.push((frame = reduce(frame, event)));
  return frames;
}

describe("staleGraphIteration", () => {
  const frames = replay();
  const last = frames.at(-1) as RunFrame;
  const session = frames[0]?.session as SessionEvent;

  it("is null from forward to backward, the iteration after step", () => {
    const phased = frames.filter((f) => f.event !== null && f.graph !== null);
    expect(phased.some((f) => f.event?.phase === "step")).toBe(true);
    expect(phased.some((f) => f.event?.phase === "loss")).toBe(true);
    for (const f of phased) {
      const event = f.event as PhaseEvent;
      expect(f.graphIteration).toBe(event.iteration);
      expect(staleGraphIteration(f)).toBe(event.phase === "step" ? event.iteration : null);
    }
  });

  it("names the earlier iteration after a reset or a rewind keeps the graph", () => {
    const iteration = (last.event as PhaseEvent).iteration;
    for (const to of [0, Math.max(0, iteration - 1)]) {
      const after = reduce(last, { ...session, iteration: to });
      expect(after.graph).toBe(last.graph);
      expect(staleGraphIteration(after)).toBe(iteration);
    }
  });

  it("drops the graph, and its age, for another batch size", () => {
    const config = { ...(session.config ?? {}), batch_size: 10 };
    const after = reduce(last, { ...session, config });
    expect(after.graph).toBeNull();
    expect(after.graphIteration).toBeNull();
    expect(staleGraphIteration(after)).toBeNull();
  });
});
