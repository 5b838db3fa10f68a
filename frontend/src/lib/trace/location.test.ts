import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import type { EndEvent, PhaseEvent, SessionEvent } from "../wire/protocol";
import { endKind } from "./ending";
import { learnPhaseLine, scriptFile, tracedLine } from "./location";

const frames = loadFixture("trace-two-files").frames;
const session = frames.find((f): f is SessionEvent => f.type === "session") ?? null;
const phases = frames.filter((f): f is PhaseEvent => f.type === "phase");

describe("the running line of a traced script whose model is in a second file", () => {
  it("names the script's own file", () => {
    expect(scriptFile(session)).toBe("train.py");
  });

  it("lights the script's line, or says the phase ran in the file beside it", () => {
    for (const event of phases) {
      const where = event.trace?.location;
      const shown = tracedLine(session, event);
      if (where?.file === "train.py") expect(shown).toEqual({ line: where.line, elsewhere: null });
      else expect(shown).toEqual({ line: null, elsewhere: where });
    }
    // the forward and the loss ran in model.py (compute_loss), the rest in train.py
    expect(phases.filter((p) => tracedLine(session, p)?.elsewhere).map((p) => p.phase)).toEqual([
      "forward",
      "loss",
      "loss",
    ]);
  });

  it("has nothing to say for a built-in run's phase", () => {
    const linear = loadFixture("linear").frames;
    const builtIn = linear.find((f): f is SessionEvent => f.type === "session") ?? null;
    const phase = linear.find((f): f is PhaseEvent => f.type === "phase") ?? null;
    expect(tracedLine(builtIn, phase)).toBeNull();
  });
});

describe("how a script ended", () => {
  const base: EndEvent = {
    type: "end",
    status: "finished",
    exit_code: 0,
    traceback: null,
    message: "",
    summary: null,
  };
  it("tells a clean finish from an exit with a status of its own", () => {
    expect(endKind(base)).toBe("finished");
    expect(endKind({ ...base, exit_code: 3 })).toBe("exited");
    expect(endKind({ ...base, status: "failed", exit_code: 1 })).toBe("failed");
    expect(endKind({ ...base, status: "stopped", exit_code: -15 })).toBe("stopped");
  });
});

describe("a traced script's phase lines, learned as it reaches them", () => {
  it("adds each phase's line in the script's own file, once, and leaves the rest alone", () => {
    let known = session;
    for (const event of phases) known = learnPhaseLine(known, event);
    const own = phases.filter((p) => p.trace?.location?.file === "train.py");
    const expected = Object.fromEntries(own.map((p) => [p.phase, p.trace?.location?.line]));
    expect(known?.source.phase_lines).toEqual({ ...session?.source.phase_lines, ...expected });
    expect(Object.keys(expected).sort()).toEqual(["backward", "step", "zero_grad"]);
    // nothing new: the very same session object (so nothing downstream recomputes)
    expect(learnPhaseLine(known, phases[0] as PhaseEvent)).toBe(known);
  });
});
