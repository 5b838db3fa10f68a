// A run as the page knows it at one moment: an immutable frame, and the pure function that
// makes the next frame from a server event. The store keeps the live frame and the frames
// of the timeline; panels read one of them, so looking at the past never touches the present.
import type {
  CaptureByPhase,
  FitView,
  GraphEvent,
  LanguageCapture,
  LayerStats,
  ParamReference,
  PhaseEvent,
  PhaseName,
  SentEvent,
  ServerEvent,
  SessionEvent,
  TensorValue,
  TextSample,
  UpdateEvent,
  WireFloat,
  WirePhaseEvent,
} from "../wire/protocol";
import { appendRatios } from "../layers/layers";
import { learnPhaseLine } from "../trace/location";
import type { RatioLog } from "../layers/layers";
import { sameTensor } from "../util/tensor";

/** One step() capture and the iteration it belongs to. */
export interface StepRecord {
  readonly iteration: number;
  readonly capture: CaptureByPhase["step"];
}

export interface RunFrame {
  readonly session: SessionEvent | null;
  /** The autograd graph of the run's model (kept across a session of the same model). */
  readonly graph: GraphEvent | null;
  /**
   * The iteration whose forward() and loss built the graph shown: the latest phase event's
   * (null while no phase of a run with this graph ran). A reset, rewind or branch keeps it,
   * so the page can say the graph it still shows is an earlier iteration's.
   */
  readonly graphIteration: number | null;
  /** The latest phase event, and the one before it (for "before → after" views). */
  readonly event: PhaseEvent | null;
  readonly previous: PhaseEvent | null;
  /** What the last step() found in optimizer.param_groups (kept across iterations). */
  readonly references: readonly ParamReference[];
  /** The latest capture of each phase in the current iteration. */
  readonly captures: Readonly<Partial<CaptureByPhase>>;
  /**
   * The last two step captures. A capture holds the optimizer's state *after* its step, so
   * the record before is the previous step's state (when it was the iteration just before).
   */
  readonly stepLog: readonly StepRecord[];
  /** The model's fit on its data as of the latest step that sent one (or the session). */
  readonly fit: FitView | null;
  /** The iteration of the newest loss this frame has seen (-1: none); charts cut there. */
  readonly lossesThrough: number;
  /** A language model's phases of the current iteration (rows used, position, grad rows). */
  readonly language: Readonly<LanguageCapture>;
  /** A language model's newest text sample (the session's, then each step's). */
  readonly sample: TextSample | null;
  /** Every parameter's health as of the latest captured step, and its ‖Δw‖/‖w‖ over time. */
  readonly layers: readonly LayerStats[] | null;
  readonly ratios: RatioLog;
}

export const EMPTY_FRAME: RunFrame = Object.freeze({
  session: null,
  graph: null,
  graphIteration: null,
  event: null,
  previous: null,
  references: [],
  captures: {},
  stepLog: [],
  fit: null,
  lossesThrough: -1,
  language: {},
  sample: null,
  layers: null,
  ratios: {},
});

/** Same scenario, modules, parameters and criterion: the autograd graph has the same nodes. */
export function sameModel(a: SessionEvent, b: SessionEvent): boolean {
  const shape = (s: SessionEvent) =>
    JSON.stringify([s.scenario, s.model, s.parameters, s.criterion, s.config?.frozen ?? null]);
  return shape(a) === shape(b);
}

function reduceSession(frame: RunFrame, session: SessionEvent): RunFrame {
  // Same model, same node ids: keep the graph so its layout does not jump (and so a run
  // driven by iteration steps, which send no graph frames, still shows one).
  // A new batch size changes the data nodes' shapes ((10, 1), not (100, 1)): drop the graph.
  const keepGraph =
    frame.session !== null &&
    sameModel(frame.session, session) &&
    frame.session.config?.batch_size === session.config?.batch_size;
  // Same run (a rewind, a reset, new hyperparameters): its losses before this point stay.
  const sameRun = keepGraph && frame.session?.run_id === session.run_id;
  return {
    session,
    graph: keepGraph ? frame.graph : null,
    graphIteration: keepGraph ? frame.graphIteration : null,
    event: null,
    previous: null,
    // param_groups as the optimizer holds them now; each step() refreshes them.
    references: session.references ?? [],
    captures: {},
    stepLog: [],
    fit: session.fit ?? null,
    lossesThrough: sameRun ? Math.min(frame.lossesThrough, session.iteration - 1) : -1,
    language: {},
    sample: session.language?.sample ?? null,
    layers: null,
    // Same run (a rewind or new hyperparameters): the ratios logged so far still stand.
    ratios: sameRun ? frame.ratios : {},
  };
}

/**
 * `next` with every tensor that says the same as in `previous` replaced by `previous`'s own
 * object, and `previous` itself when all do. An event repeats most tensors (a parameter
 * changes only at step, a .grad at backward and zero_grad), and a view handed the object it
 * already shows has nothing to redo: no decoding, no redraw.
 */
export function shareTensors<T extends TensorValue | null>(
  previous: Readonly<Record<string, T>> | undefined,
  next: Record<string, T>,
): Record<string, T> {
  if (!previous) return next;
  const names = Object.keys(next);
  if (names.length !== Object.keys(previous).length) return next;
  let all = true;
  const shared: Record<string, T> = {};
  for (const name of names) {
    const kept = previous[name];
    const same = kept !== undefined && sameTensor(kept, next[name]);
    shared[name] = same ? kept : (next[name] as T);
    all &&= same;
  }
  return all ? (previous as Record<string, T>) : shared;
}

/**
 * The event made complete: the params and grads it left out (unchanged since the last event
 * that carried them) are the frame's, and those it carries are shared with the frame's where
 * they say the same. So every frame kept on the timeline holds its own moment's values.
 */
function sharedEvent(frame: RunFrame, event: WirePhaseEvent): PhaseEvent {
  const heldParams = frame.event?.params ?? frame.session?.params ?? {};
  const heldGrads = frame.event?.grads ?? frame.session?.grads ?? {};
  const params = event.params ? shareTensors(heldParams, event.params) : heldParams;
  const grads = event.grads ? shareTensors(heldGrads, event.grads) : heldGrads;
  return params === event.params && grads === event.grads
    ? (event as PhaseEvent)
    : { ...event, params, grads };
}

/** The event's capture with what a frame within its byte budget left out put back: a fill's
 * value that is the event's own grads[param]. */
function completeCapture(event: PhaseEvent): PhaseEvent["capture"] {
  const capture = event.capture;
  if (event.phase !== "backward" || !capture || !("fills" in capture)) return capture;
  if (capture.fills.every((f) => f.value !== undefined)) return capture;
  const fills = capture.fills.map((f) =>
    f.value !== undefined ? f : { ...f, value: event.grads[f.param] ?? undefined },
  );
  return { ...capture, fills };
}

function reducePhase(frame: RunFrame, incoming: WirePhaseEvent): RunFrame {
  const event = sharedEvent(frame, incoming);
  // Captures describe one iteration. An event of another iteration (a new forward, or a
  // multi-phase step whose earlier phases ran uncaptured) starts the set afresh, so no
  // panel shows the previous iteration's details as this one's.
  const sameIteration =
    event.phase !== "forward" && frame.event !== null && frame.event.iteration === event.iteration;
  const captures: Partial<CaptureByPhase> = sameIteration ? { ...frame.captures } : {};
  if (event.capture) (captures as Record<PhaseName, unknown>)[event.phase] = completeCapture(event);
  const step = event.phase === "step" ? captures.step : undefined;
  return {
    ...frame,
    // A traced script's phase names its line: the loop and the code pane learn it.
    session: learnPhaseLine(frame.session, event),
    event,
    // Every phase of an iteration works on that iteration's graph (forward builds it).
    graphIteration: event.iteration,
    previous: frame.event,
    captures,
    references: step ? step.references : frame.references,
    stepLog: step
      ? [...frame.stepLog, { iteration: event.iteration, capture: step }].slice(-2)
      : frame.stepLog,
    fit: event.fit ?? frame.fit,
    // Like the captures, a language model's details belong to one iteration.
    language: { ...(sameIteration ? frame.language : {}), ...(event.language ?? {}) },
    sample: event.language?.sample ?? frame.sample,
    layers: event.layers ?? frame.layers,
    ratios: event.layers ? appendRatios(frame.ratios, event.iteration, event.layers) : frame.ratios,
    lossesThrough: Math.max(
      frame.lossesThrough,
      event.losses.first + event.losses.values.length - 1,
    ),
  };
}

/**
 * The frame with an update detail asked for (`update`) in the step it belongs to: moved from
 * that step's `brief` into its `updates`, in the optimizer's order, as if the step frame had
 * carried it. The same frame when that step is no longer the one the frame holds.
 */
function withUpdate(frame: RunFrame, event: UpdateEvent): RunFrame {
  const last = frame.stepLog.at(-1);
  if (!last || last.iteration !== event.iteration || !last.capture.brief?.includes(event.name)) {
    return frame;
  }
  const order = last.capture.references.map((r) => r.param);
  const updates = [...last.capture.updates, event.update].sort(
    (a, b) => order.indexOf(a.name) - order.indexOf(b.name),
  );
  const brief = last.capture.brief.filter((name) => name !== event.name);
  const capture = { ...last.capture, updates, brief };
  const stepLog = [...frame.stepLog.slice(0, -1), { iteration: last.iteration, capture }];
  const current = frame.captures.step === last.capture;
  return {
    ...frame,
    stepLog,
    captures: current ? { ...frame.captures, step: capture } : frame.captures,
  };
}

/**
 * The frame with the gradients a node sent (`sent`, asked for because its backward frame
 * left them out) put into that backward's capture, as if the frame had carried them. The
 * same frame when it holds another backward (another iteration or graph, or one that did
 * not leave that node out).
 */
function withSent(frame: RunFrame, event: SentEvent): RunFrame {
  const cap = frame.captures.backward;
  if (
    !cap ||
    frame.event?.iteration !== event.iteration ||
    cap.graph_id !== event.graph_id ||
    !cap.left_out?.includes(event.node)
  ) {
    return frame;
  }
  const backward = {
    ...cap,
    sent: { ...cap.sent, [event.node]: event.sent },
    left_out: cap.left_out.filter((node) => node !== event.node),
  };
  return { ...frame, captures: { ...frame.captures, backward } };
}

/** The frame after `event`; the same frame when the event changes nothing a frame holds. */
export function reduce(frame: RunFrame, event: ServerEvent): RunFrame {
  switch (event.type) {
    case "session":
      return reduceSession(frame, event);
    case "graph":
      return { ...frame, graph: event };
    case "phase":
      return reducePhase(frame, event);
    case "losses":
      return { ...frame, lossesThrough: event.first + event.values.length - 1 };
    case "update":
      return withUpdate(frame, event);
    case "sent":
      return withSent(frame, event);
    default:
      return frame;
  }
}

// What a frame says about "now", read the same way by every panel.

/** The phase that ran last (null before the first). */
export function phaseOf(frame: RunFrame): PhaseName | null {
  return frame.event?.phase ?? null;
}

export function nextPhaseOf(frame: RunFrame): PhaseName {
  return frame.event?.next_phase ?? frame.session?.next_phase ?? "forward";
}

export function iterationOf(frame: RunFrame): number {
  return frame.event?.iteration ?? frame.session?.iteration ?? 0;
}

export function epochOf(frame: RunFrame): number {
  return frame.event?.epoch ?? frame.session?.epoch ?? 0;
}

export function lossOf(frame: RunFrame): WireFloat | null {
  return frame.event?.loss ?? null;
}

export function paramsOf(frame: RunFrame): Record<string, TensorValue> {
  return frame.event?.params ?? frame.session?.params ?? {};
}

export function gradsOf(frame: RunFrame): Record<string, TensorValue | null> {
  return frame.event?.grads ?? frame.session?.grads ?? {};
}

/** The .grad values before the latest phase ran. */
export function previousGradsOf(frame: RunFrame): Record<string, TensorValue | null> {
  return frame.previous?.grads ?? frame.session?.grads ?? {};
}

/** Batches per epoch of the run (1 before the first session: full batch). */
export function nBatchesOf(frame: RunFrame): number {
  return frame.event?.n_batches ?? frame.session?.n_batches ?? 1;
}
