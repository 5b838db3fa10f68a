// The store's side of the socket: the connection's state, commands out, and the toasts that
// say what went wrong (a refused command, a command that could not be sent).
import type { Command, ErrorEvent } from "../wire/protocol";
import type { CloseInfo, ConnectionState } from "../wire/socket";
import type { StoreOptions } from "./options";
import { RunView } from "./runview.svelte";

export interface Toast {
  id: number;
  code: string;
  message: string;
  field: string | null;
}

export class Outbox extends RunView {
  connection = $state<ConnectionState>("closed");
  retryInMs = $state<number | null>(null);
  toasts = $state<Toast[]>([]);
  /** The server closed the connection for good, and why (no reconnect until asked). */
  closeInfo = $state.raw<CloseInfo | null>(null);

  protected send: (command: Command) => boolean;
  private reconnector: () => void = () => {};
  private nextToast = 1;

  constructor(options: StoreOptions) {
    super();
    this.send = options.send ?? (() => false);
  }

  /** Route commands to `send` from now on (the socket is made after the store). */
  connectSender(send: (command: Command) => boolean): void {
    this.send = send;
  }

  /** What "Reconnect" does (the socket's connect), once the server closed for good. */
  connectReconnect(reconnect: () => void): void {
    this.reconnector = reconnect;
  }

  /** Show an error toast (kept until dismissed; at most 4 at once). */
  toast(code: string, message: string, field: string | null = null): void {
    const next = [...this.toasts, { id: this.nextToast++, code, message, field }];
    this.toasts = next.slice(-4);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  protected pushError(event: ErrorEvent): void {
    this.toast(event.code, event.message, event.field ?? null);
  }

  setConnection(state: ConnectionState, retryInMs: number | null): void {
    this.connection = state;
    this.retryInMs = retryInMs;
    if (state === "open") this.closeInfo = null;
  }

  /** The server closed for good: say why, and wait for the learner's Reconnect. */
  closedForGood(info: CloseInfo): void {
    this.closeInfo = info;
  }

  /** Connect again after a close for good (the run is parked: it resumes). */
  reconnect(): void {
    this.reconnector();
  }

  /** Send a command that leaves the frame being viewed alone; a toast when it could not go. */
  protected ask(command: Command): boolean {
    const ok = this.send(command);
    if (!ok) this.toast("offline", "not connected: the command was not sent");
    return ok;
  }

  protected command(command: Command): boolean {
    // Any command acts on the live run, so the page shows it again.
    this.viewing = null;
    return this.ask(command);
  }
}
