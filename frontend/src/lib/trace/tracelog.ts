// What a traced script said besides its phases: its output lines, notices, evaluation calls
// and its end. This belongs to the live run, not to a frame: scrubbing the timeline back to
// iteration 3 does not un-print what the script printed at iteration 40 (the console shows
// the process as it is, and each line carries the iteration it was printed in). A session of
// another run (a Restart: a fresh process, a new run_id) starts the log afresh; a session
// re-sent for the same run (the model found after the first forward) keeps it.
import type {
  EndEvent,
  EvaluationEvent,
  NoticeEvent,
  OutputEvent,
  ServerEvent,
  TraceLocation,
} from "../wire/protocol";

/** Output lines kept in the page; older ones are dropped (and counted). */
export const MAX_LINES = 2000;
/** Notices kept (each is a sentence; a script rarely has more than a handful). */
export const MAX_NOTICES = 50;
/** Distinct (module, line) evaluation call sites kept. */
export const MAX_EVALUATION_ROWS = 20;

export interface ConsoleLine {
  /** Position in the run's output since it started (stable key, survives dropping). */
  readonly seq: number;
  readonly stream: OutputEvent["stream"];
  readonly text: string;
  readonly iteration: number;
  /** No newline yet: the stream's next output continues this line (a progress bar redrawn
   * in place with `\r` arrives in pieces while it is redrawn). */
  readonly open: boolean;
  /** What the next piece continues: the line as a terminal shows it, with a trailing `\r`
   * kept (the next piece is drawn over it). */
  readonly tail: string;
}

/** Evaluation/inference calls of one module at one line, summed over the run. */
export interface EvaluationRow {
  readonly key: string;
  readonly what: string;
  readonly calls: number;
  readonly gradEnabled: boolean;
  readonly training: boolean;
  readonly location: TraceLocation | null;
  readonly lastIteration: number;
}

export interface TraceLog {
  readonly runId: string | null;
  readonly lines: readonly ConsoleLine[];
  /** Lines received but no longer kept (the oldest ones). */
  readonly dropped: number;
  readonly notices: readonly NoticeEvent[];
  readonly evaluations: readonly EvaluationRow[];
  readonly end: EndEvent | null;
}

export const EMPTY_TRACE: TraceLog = Object.freeze({
  runId: null,
  lines: [],
  dropped: 0,
  notices: [],
  evaluations: [],
  end: null,
});

/** What a terminal shows of a line redrawn with `\r`: the text after the last `\r` (a
 * trailing one only moves the cursor back, the text stays until drawn over). */
function visible(raw: string): string {
  const body = raw.replace(/\r+$/, "");
  return body.slice(body.lastIndexOf("\r") + 1);
}

/** One line of output (`raw` without the newline it was printed with). */
function lineOf(
  seq: number,
  stream: OutputEvent["stream"],
  raw: string,
  open: boolean,
  iteration: number,
): ConsoleLine {
  const text = visible(raw);
  return { seq, stream, text, iteration, open, tail: raw.endsWith("\r") ? `${text}\r` : text };
}

function addOutput(log: TraceLog, event: OutputEvent, max: number): TraceLog {
  const open = !event.text.endsWith("\n");
  const raw = open ? event.text : event.text.slice(0, -1);
  const index = log.lines.findLastIndex((line) => line.stream === event.stream);
  const last = index < 0 ? undefined : log.lines[index];
  if (last?.open) {
    // the same line going on (a bar redrawn, or one printed in pieces): drawn in its place
    const line = lineOf(last.seq, last.stream, last.tail + raw, open, event.iteration);
    return { ...log, lines: log.lines.map((l, i) => (i === index ? line : l)) };
  }
  const seq = log.dropped + log.lines.length;
  const lines = [...log.lines, lineOf(seq, event.stream, raw, open, event.iteration)];
  const over = Math.max(0, lines.length - max);
  return { ...log, lines: over ? lines.slice(over) : lines, dropped: log.dropped + over };
}

export function locationKey(location: TraceLocation | null | undefined): string {
  return location ? `${location.file}:${location.line}:${location.col ?? ""}` : "";
}

function addEvaluation(log: TraceLog, event: EvaluationEvent): TraceLog {
  const key = `${event.what}@${locationKey(event.location)}`;
  const old = log.evaluations.find((row) => row.key === key);
  const row: EvaluationRow = {
    key,
    what: event.what,
    calls: (old?.calls ?? 0) + event.calls,
    gradEnabled: event.grad_enabled,
    training: event.training,
    location: event.location,
    lastIteration: event.iteration,
  };
  const evaluations = old
    ? log.evaluations.map((r) => (r.key === key ? row : r))
    : [...log.evaluations, row].slice(-MAX_EVALUATION_ROWS);
  return { ...log, evaluations };
}

/** The log after `event`; the same object when the event is none of a traced script's. */
export function reduceTrace(log: TraceLog, event: ServerEvent, max = MAX_LINES): TraceLog {
  switch (event.type) {
    case "session":
      if (event.capabilities.source !== "trace") return log.runId === null ? log : EMPTY_TRACE;
      return event.run_id === log.runId ? log : { ...EMPTY_TRACE, runId: event.run_id };
    case "output":
      return addOutput(log, event, max);
    case "notice":
      return { ...log, notices: [...log.notices, event].slice(-MAX_NOTICES) };
    case "evaluation":
      return addEvaluation(log, event);
    case "end":
      return { ...log, end: event };
    default:
      return log;
  }
}

/** Evaluation calls in all. */
export function evaluationCalls(log: TraceLog): number {
  return log.evaluations.reduce((sum, row) => sum + row.calls, 0);
}
