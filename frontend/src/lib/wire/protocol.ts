// Names for the generated wire types, and narrowing helpers the generator cannot write.
import type {
  BackwardCapture as WireBackwardCapture,
  ForwardCapture,
  GradFill as WireGradFill,
  LossCapture,
  LossesEvent,
  PhaseEvent as WirePhaseEvent,
  SessionEvent,
  ServerEvent,
  StepCapture,
  StepCommand,
  TensorValue,
  ZeroGradCapture,
} from "./protocol.gen";
import { PHASES as GEN_PHASES, SCENARIOS as GEN_SCENARIOS } from "./protocol.gen";

export type * from "./protocol.gen";

export type { WirePhaseEvent };
/**
 * A phase event as a frame holds it: complete. On the wire a built-in run leaves `params`
 * or `grads` out when they did not change; the frame's reduce carries the ones it holds.
 */
export type PhaseEvent = WirePhaseEvent & Required<Pick<WirePhaseEvent, "params" | "grads">>;

export type { WireBackwardCapture };
/** A fill as a frame holds it: a frame within its byte budget leaves out a value that is the
 * event's own grads[param]; the frame's reduce puts it back. */
export type GradFill = WireGradFill & { value: TensorValue };
export type BackwardCapture = Omit<WireBackwardCapture, "fills"> & { fills: GradFill[] };

/** One of the five phases of an iteration, in the order the loop runs them. */
export type PhaseName = WirePhaseEvent["phase"];
// The name lists come generated from the server's own (protocol_schema's "names").
export const PHASES: readonly PhaseName[] = GEN_PHASES;

/** A float on the wire: a JSON number, or a string for what JSON cannot write. */
export type WireFloat = number | "NaN" | "Infinity" | "-Infinity";
/** A built-in scenario (the server's registry; null in a session of a traced script). */
export type ScenarioName = NonNullable<SessionEvent["scenario"]>;
export const SCENARIOS: readonly ScenarioName[] = GEN_SCENARIOS;
export type StepUnit = NonNullable<StepCommand["unit"]>;
export type ErrorCode = Extract<ServerEvent, { type: "error" }>["code"];

/** What each phase's capture is; `capture` itself is an undiscriminated union on the wire. */
export interface CaptureByPhase {
  forward: ForwardCapture;
  loss: LossCapture;
  zero_grad: ZeroGradCapture;
  backward: BackwardCapture;
  step: StepCapture;
}

const EVENT_TYPE_NAMES: Record<ServerEvent["type"], true> = {
  session: true,
  graph: true,
  phase: true,
  losses: true,
  error: true,
  play_state: true,
  progress: true,
  // a traced script's own events (loopscope trace)
  output: true,
  end: true,
  notice: true,
  evaluation: true,
  // one tensor in full, asked for by the page; one parameter's update detail
  update: true,
  tensor: true,
  // the gradients a node sent that its backward frame left out, asked for by the page
  sent: true,
};
const EVENT_TYPES = new Set<string>(Object.keys(EVENT_TYPE_NAMES));

/** Parse one websocket text frame; null when it is not a known event. */
export function parseEvent(text: string): ServerEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const type = (data as { type?: unknown }).type;
  return typeof type === "string" && EVENT_TYPES.has(type) ? (data as ServerEvent) : null;
}
