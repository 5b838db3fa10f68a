// How a traced script's process ended, as the page says it: a finished run with exit
// status 0, an exception, a stop (Restart, Ctrl-C), or an exit with a status of its own
// (`sys.exit(3)` is "finished" to the server, but not a clean finish to the learner).
import type { EndEvent } from "../wire/protocol";

export type EndKind = "finished" | "failed" | "stopped" | "exited";

export function endKind(end: EndEvent): EndKind {
  if (end.status === "finished" && end.exit_code !== 0) return "exited";
  return end.status;
}
