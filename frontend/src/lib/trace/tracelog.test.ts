import { describe, expect, it } from "vitest";
import { loadFixture } from "../__fixtures__/load";
import type { OutputEvent, ServerEvent, SessionEvent } from "../wire/protocol";
import { EMPTY_TRACE, evaluationCalls, MAX_NOTICES, reduceTrace } from "./tracelog";
import type { TraceLog } from "./tracelog";

function replay(frames: readonly ServerEvent[], max?: number): TraceLog[] {
  const logs: TraceLog[] = [];
  let log = EMPTY_TRACE;
  for (const frame of frames) {
    log = reduceTrace(log, frame, max);
    logs.push(log);
  }
  return logs;
}

const raises = loadFixture("trace-raises").frames;
const outputs = raises.filter((f): f is OutputEvent => f.type === "output");
const sessions = raises.filter((f): f is SessionEvent => f.type === "session");

describe("a traced script's log (recorded from a real trace server)", () => {
  it("keeps every line in order, the stream and iteration as received, without the newline", () => {
    const endAt = raises.findIndex((f) => f.type === "end");
    const log = replay(raises.slice(0, endAt + 1)).at(-1) ?? EMPTY_TRACE;
    expect(log.lines.map((l) => l.text + "\n")).toEqual(outputs.map((o) => o.text));
    expect(log.lines.map((l) => [l.stream, l.iteration])).toEqual(
      outputs.map((o) => [o.stream, o.iteration]),
    );
    expect(log.lines.map((l) => l.seq)).toEqual(outputs.map((_, i) => i));
    // the traceback went to stderr, the script's own prints to stdout
    expect(new Set(log.lines.map((l) => l.stream))).toEqual(new Set(["stdout", "stderr"]));
    expect(log.end?.status).toBe("failed");
  });

  it("keeps the output across a session re-sent for the same run (the model was found)", () => {
    expect(sessions[0]?.run_id).toBe(sessions[1]?.run_id);
    const logs = replay(raises);
    const secondSession = raises.indexOf(sessions[2] as ServerEvent);
    const beforeIt = logs[secondSession - 1];
    expect(logs[secondSession]).toBe(beforeIt);
  });

  it("starts afresh at the session of a restarted run (another run_id)", () => {
    const last = sessions.at(-1);
    expect(last?.run_id).not.toBe(sessions[0]?.run_id);
    const log = replay(raises).at(-1);
    expect(log).toEqual({ ...EMPTY_TRACE, runId: last?.run_id });
  });

  it("keeps the last `max` lines and counts the ones it let go", () => {
    const log = replay(raises, 3).at(-2) ?? EMPTY_TRACE; // before the restart's session
    expect(log.lines.map((l) => l.text + "\n")).toEqual(outputs.slice(-3).map((o) => o.text));
    expect(log.dropped).toBe(outputs.length - 3);
    expect(log.lines[0]?.seq).toBe(outputs.length - 3);
  });

  it("counts evaluation calls per module and line, and keeps the latest notices", () => {
    const session = sessions[0] as SessionEvent;
    const where = { file: "train.py", line: 7, function: "<module>" };
    const evaluation = (calls: number, line: number): ServerEvent => ({
      type: "evaluation",
      iteration: 2,
      what: "Net",
      calls,
      grad_enabled: false,
      training: false,
      location: { ...where, line },
      shown_as_forward: false,
    });
    const notice = (k: number): ServerEvent => ({
      type: "notice",
      iteration: k,
      code: "optimizer_idle",
      message: `idle ${k}`,
    });
    const frames = [
      session,
      evaluation(2, 7),
      evaluation(3, 7),
      evaluation(1, 9),
      ...Array.from({ length: MAX_NOTICES + 5 }, (_, k) => notice(k)),
    ];
    const log = replay(frames).at(-1) ?? EMPTY_TRACE;
    expect(log.evaluations.map((r) => [r.location?.line, r.calls])).toEqual([
      [7, 5],
      [9, 1],
    ]);
    expect(evaluationCalls(log)).toBe(6);
    expect(log.notices).toHaveLength(MAX_NOTICES);
    expect(log.notices.at(-1)?.iteration).toBe(MAX_NOTICES + 4);
  });

  it("ignores a built-in run's session and the phases (they belong to frames)", () => {
    const linear = loadFixture("linear").frames;
    const logs = replay(linear);
    expect(logs.every((l) => l === EMPTY_TRACE)).toBe(true);
  });
});

describe("a line redrawn with \\r while it is drawn (a progress bar)", () => {
  const out = (stream: OutputEvent["stream"], text: string, iteration = 0): OutputEvent => ({
    type: "output",
    stream,
    text,
    iteration,
  });

  it("shows each piece drawn over the line before, as a terminal does, until its newline", () => {
    const frames = [
      out("stderr", "\rtrain:  10%|#"),
      out("stdout", "epoch 0\n"),
      out("stderr", "  | 1/10\rtrain:  20%|##", 1), // the previous piece ends, another is cut
      out("stderr", "  | 2/10", 2),
      out("stderr", "\n", 2),
      out("stderr", "next line\n", 2),
    ];
    const logs = replay(frames);
    expect(logs.map((l) => l.lines[0]?.text)).toEqual([
      "train:  10%|#",
      "train:  10%|#",
      "train:  20%|##",
      "train:  20%|##  | 2/10",
      "train:  20%|##  | 2/10",
      "train:  20%|##  | 2/10",
    ]);
    const last = logs.at(-1) ?? EMPTY_TRACE;
    // the bar keeps its place before the stdout line, with the iteration of its latest piece
    expect(last.lines.map((l) => [l.stream, l.text, l.open, l.iteration])).toEqual([
      ["stderr", "train:  20%|##  | 2/10", false, 2],
      ["stdout", "epoch 0", false, 0],
      ["stderr", "next line", false, 2],
    ]);
    expect(last.lines.map((l) => l.seq)).toEqual([0, 1, 2]);
  });

  it("keeps a line that ends in \\r until the next piece draws over it", () => {
    const logs = replay([
      out("stdout", "step 1\r"),
      out("stdout", "step 2\r"),
      out("stdout", "\n"),
    ]);
    expect(logs.map((l) => l.lines.map((line) => line.text))).toEqual([
      ["step 1"],
      ["step 2"],
      ["step 2"],
    ]);
  });
});
