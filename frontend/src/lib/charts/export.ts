// What "Export" writes: the recorded run as JSON, and names and sizes for the diagram files
// (pure; the component does the DOM part: serialising the SVG, drawing the PNG).
import type { GraphEvent, ServerEvent, SessionEvent } from "../wire/protocol";
import type { TimelineFrame } from "../store/timeline";

/** The subset of a stored frame the export reads. */
export interface ExportableFrame {
  session: SessionEvent | null;
  graph: GraphEvent | null;
  event: ServerEvent | null;
}

export interface RunExport {
  format: "loopscope-run";
  version: 1;
  exported_at: string;
  scenario: string | null;
  config: Record<string, unknown> | null;
  /** The events as received, in order: session, graph and phase frames (the same shape as a fixture). */
  frames: ServerEvent[];
}

/** A session event without its secret: the token would let someone take the run over. */
function withoutToken(event: SessionEvent): SessionEvent {
  return { ...event, token: "" };
}

/**
 * The recorded frames as the server sent them: each session and phase event once, each
 * graph after the phase event it came with.
 */
export function buildRunExport(
  frames: readonly TimelineFrame<ExportableFrame>[],
  now: Date = new Date(),
): RunExport {
  const out: ServerEvent[] = [];
  let lastGraph: GraphEvent | null = null;
  let lastSession: SessionEvent | null = null;
  for (const frame of frames) {
    const { session, graph, event } = frame.state;
    if (frame.kind === "session" && session) {
      out.push(withoutToken(session));
      lastSession = session;
      continue;
    }
    if (event) out.push(event);
    if (graph && graph !== lastGraph) {
      out.push(graph);
      lastGraph = graph;
    }
  }
  return {
    format: "loopscope-run",
    version: 1,
    exported_at: now.toISOString(),
    scenario: lastSession?.scenario ?? null,
    config: lastSession?.config ?? null,
    frames: out,
  };
}

/** "loopscope-linear-it12-20250101-120000.json" */
export function exportFileName(
  scenario: string | null,
  iteration: number,
  ext: string,
  now: Date = new Date(),
): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `loopscope-${scenario ?? "run"}-it${iteration}-${stamp}.${ext}`;
}

/** The computed style properties copied inline, so an exported SVG looks the same alone. */
export const SVG_STYLE_PROPERTIES = [
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-width",
  "stroke-dasharray",
  "stroke-opacity",
  "opacity",
  "font-family",
  "font-size",
  "font-weight",
  "text-anchor",
  "paint-order",
  "filter",
] as const;

/** A viewBox around a bounding box with `pad` on each side: "x y width height". */
export function paddedViewBox(
  box: { x: number; y: number; width: number; height: number },
  pad = 16,
): string {
  const r = (v: number) => Math.round(v * 10) / 10;
  return `${r(box.x - pad)} ${r(box.y - pad)} ${r(box.width + 2 * pad)} ${r(box.height + 2 * pad)}`;
}

/** Pixel size of the PNG: `scale` times the box, capped so neither side passes `max`. */
export function pngSize(
  width: number,
  height: number,
  scale = 2,
  max = 4096,
): { width: number; height: number } {
  const k = Math.min(scale, max / Math.max(1, width), max / Math.max(1, height));
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}
