// Where a traced script is, in its own files: the line of the phase that ran (from the
// phase's `trace.location`), and whether that line is in the script itself or in a file
// beside it (a model defined in model.py). Built-in runs have no trace field: null.
import type { PhaseEvent, SessionEvent, TraceLocation } from "../wire/protocol";

/** The script's file name as the locations name it (relative to the script's folder). */
export function scriptFile(session: SessionEvent | null): string {
  const path = session?.description ?? "";
  return path.split(/[\\/]/).pop() ?? path;
}

export interface TracedLine {
  /** The line to light in the script's listing (null: it ran in another file). */
  readonly line: number | null;
  /** The location when it is in another file of the script's folder, else null. */
  readonly elsewhere: TraceLocation | null;
}

/** The running line of a traced phase; null when the event carries no location. */
export function tracedLine(
  session: SessionEvent | null,
  event: PhaseEvent | null,
): TracedLine | null {
  const location = event?.trace?.location ?? null;
  if (session?.capabilities.source !== "trace" || location === null) return null;
  if (location.file === scriptFile(session)) return { line: location.line, elsewhere: null };
  return { line: null, elsewhere: location };
}

/** "model.py:18" (the place as a learner's editor names it). */
export function placeOf(location: TraceLocation): string {
  return `${location.file}:${location.line}`;
}

/**
 * The session with the line of a traced phase learned: a script's phase lines are known
 * only as it reaches them, and the session that lists them is not re-sent for each one.
 * The same session when there is nothing new (or the run is a built-in one).
 */
export function learnPhaseLine(
  session: SessionEvent | null,
  event: PhaseEvent,
): SessionEvent | null {
  const line = tracedLine(session, event)?.line ?? null;
  if (session === null || line === null || session.source.phase_lines[event.phase] !== undefined) {
    return session;
  }
  const phase_lines = { ...session.source.phase_lines, [event.phase]: line };
  return { ...session, source: { ...session.source, phase_lines } };
}
