// A typed websocket client for /ws that reconnects by itself with backoff.
//
// Commands go out as JSON, events come in parsed and typed; frames that are not
// a known event are reported, not thrown. A dropped connection is retried after
// 0.5 s, 1 s, 2 s, … up to 10 s (with jitter), until `close()` is called — except after a
// close that asks the client to stay away (FINAL_CLOSE_CODES): then it waits for `connect()`.
import { parseEvent } from "./protocol";
import type { Command, ServerEvent } from "./protocol";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/**
 * Close codes after which coming back by itself would do harm: the server closed on
 * purpose, and a tab that reconnected at once would do again what got it closed (evicted
 * idle tabs would evict each other; a slow reader would fill its budget again).
 * 1000: the server's idle timeout; 1008: a policy (Origin, control-frame flood);
 * 4008: the send budget (reads too slowly); 4013: evicted to make room while idle.
 */
export const FINAL_CLOSE_CODES: readonly number[] = [1000, 1008, 4008, 4013];

/** How the server closed the connection, when it did so for good. */
export interface CloseInfo {
  code: number;
  reason: string;
}

function closeInfo(ev: unknown): CloseInfo | null {
  if (typeof ev !== "object" || ev === null) return null;
  const { code, reason } = ev as { code?: unknown; reason?: unknown };
  if (typeof code !== "number") return null;
  return { code, reason: typeof reason === "string" ? reason : "" };
}

/** The part of the browser's WebSocket this client uses (a fake one in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface Backoff {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay added or removed at random, so many tabs do not retry in step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.2 };

/** Delay before retry number `attempt` (0-based), in ms. */
export function backoffDelay(attempt: number, b: Backoff = DEFAULT_BACKOFF, random = 0.5): number {
  const base = Math.min(b.maxMs, b.initialMs * b.factor ** Math.max(0, attempt));
  return Math.round(base * (1 + b.jitter * (2 * random - 1)));
}

/** ws://host/ws or wss://host/ws for the page's own origin. */
export function socketUrl(location: { protocol: string; host: string }, path = "/ws"): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

export interface SocketHandlers {
  onEvent(event: ServerEvent): void;
  onState(state: ConnectionState, retryInMs: number | null): void;
  /** Called after every (re)connection, before any event: the place to (re)start a run. */
  onOpen?(): void;
  onMalformed?(text: string): void;
  /** The server closed for good (a FINAL_CLOSE_CODES code): no retry until `connect()`. */
  onFinalClose?(info: CloseInfo): void;
}

export interface SocketOptions {
  url: string;
  create?: WebSocketFactory;
  backoff?: Backoff;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

const OPEN = 1;

export class LoopSocket {
  private ws: WebSocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  state: ConnectionState = "closed";

  constructor(
    private readonly handlers: SocketHandlers,
    private readonly options: SocketOptions,
  ) {}

  /** Open the connection (and keep it open until close()); also the manual reconnect. */
  connect(): void {
    if (this.timer !== null) (this.options.clearTimer ?? clearTimeout)(this.timer as number);
    this.timer = null;
    this.stopped = false;
    this.attempt = 0;
    this.open();
  }

  /** Send one command; false when the socket is not open (the command is dropped). */
  send(command: Command): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(command));
    return true;
  }

  /** Close for good: no more retries. */
  close(): void {
    this.stopped = true;
    if (this.timer !== null) (this.options.clearTimer ?? clearTimeout)(this.timer as number);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000, "client closed");
    }
    this.setState("closed", null);
  }

  private open(): void {
    const create = this.options.create ?? ((url: string) => new WebSocket(url) as WebSocketLike);
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting", null);
    let ws: WebSocketLike;
    try {
      ws = create(this.options.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState("open", null);
      this.handlers.onOpen?.();
    };
    ws.onmessage = (ev) => {
      const text = typeof ev.data === "string" ? ev.data : "";
      const event = parseEvent(text);
      if (event) this.handlers.onEvent(event);
      else this.handlers.onMalformed?.(text.slice(0, 200));
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      const info = closeInfo(ev);
      if (info && FINAL_CLOSE_CODES.includes(info.code)) {
        this.stopped = true;
        this.setState("closed", null);
        this.handlers.onFinalClose?.(info);
        return;
      }
      this.retry();
    };
  }

  private retry(): void {
    const delay = backoffDelay(
      this.attempt,
      this.options.backoff,
      (this.options.random ?? Math.random)(),
    );
    this.attempt += 1;
    this.setState("reconnecting", delay);
    const set = this.options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    this.timer = set(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private setState(state: ConnectionState, retryInMs: number | null): void {
    this.state = state;
    this.handlers.onState(state, retryInMs);
  }
}
