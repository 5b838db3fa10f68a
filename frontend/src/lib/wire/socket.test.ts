import { describe, expect, it } from "vitest";
import type { ServerEvent } from "./protocol";
import { backoffDelay, DEFAULT_BACKOFF, LoopSocket, socketUrl } from "./socket";
import type { ConnectionState, WebSocketLike } from "./socket";

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code?: number, reason = "") {
    this.readyState = 3;
    this.onclose?.(code === undefined ? {} : { code, reason });
  }
  receive(data: string) {
    this.onmessage?.({ data });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const states: [ConnectionState, number | null][] = [];
  const events: ServerEvent[] = [];
  const malformed: string[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const finals: { code: number; reason: string }[] = [];
  let opens = 0;
  const client = new LoopSocket(
    {
      onEvent: (e) => events.push(e),
      onState: (s, r) => states.push([s, r]),
      onOpen: () => opens++,
      onMalformed: (t) => malformed.push(t),
      onFinalClose: (info) => finals.push(info),
    },
    {
      url: "ws://test/ws",
      create: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      random: () => 0.5,
      setTimer: (fn, ms) => timers.push({ fn, ms }),
      clearTimer: () => {},
    },
  );
  return { client, sockets, states, events, malformed, timers, finals, opens: () => opens };
}

describe("LoopSocket", () => {
  it("connects, reports open, and sends typed commands as JSON", () => {
    const h = harness();
    h.client.connect();
    expect(h.states.at(-1)).toEqual(["connecting", null]);
    expect(h.client.send({ type: "pause" })).toBe(false); // not open yet
    h.sockets[0]?.open();
    expect(h.states.at(-1)).toEqual(["open", null]);
    expect(h.opens()).toBe(1);
    expect(h.client.send({ type: "step", unit: "phase", count: 1 })).toBe(true);
    expect(h.sockets[0]?.sent).toEqual(['{"type":"step","unit":"phase","count":1}']);
  });

  it("parses events and reports frames it does not understand", () => {
    const h = harness();
    h.client.connect();
    h.sockets[0]?.open();
    h.sockets[0]?.receive('{"type":"error","code":"internal","message":"x"}');
    h.sockets[0]?.receive("not json");
    h.sockets[0]?.receive('{"type":"mystery"}');
    expect(h.events.map((e) => e.type)).toEqual(["error"]);
    expect(h.malformed).toEqual(["not json", '{"type":"mystery"}']);
  });

  it("reconnects with growing delays and resets them after a success", () => {
    const h = harness();
    h.client.connect();
    h.sockets[0]?.drop();
    expect(h.states.at(-1)).toEqual(["reconnecting", 500]);
    h.timers.shift()?.fn();
    h.sockets[1]?.drop();
    expect(h.timers[0]?.ms).toBe(1000);
    h.timers.shift()?.fn();
    h.sockets[2]?.open();
    expect(h.opens()).toBe(1);
    h.sockets[2]?.drop();
    expect(h.timers[0]?.ms).toBe(500);
  });

  it.each([1000, 1008, 4008, 4013])("does not come back by itself after close code %i", (code) => {
    const h = harness();
    h.client.connect();
    h.sockets[0]?.open();
    h.sockets[0]?.drop(code, "why");
    expect(h.states.at(-1)).toEqual(["closed", null]);
    expect(h.timers).toHaveLength(0);
    expect(h.finals).toEqual([{ code, reason: "why" }]);
    // The learner asks: a new connection opens, and drops after it retry again.
    h.client.connect();
    h.sockets[1]?.open();
    expect(h.opens()).toBe(2);
    h.sockets[1]?.drop(1006);
    expect(h.states.at(-1)).toEqual(["reconnecting", 500]);
  });

  it.each([1001, 1006, 1011, 1012, 1013])("retries after close code %i", (code) => {
    const h = harness();
    h.client.connect();
    h.sockets[0]?.open();
    h.sockets[0]?.drop(code);
    expect(h.states.at(-1)).toEqual(["reconnecting", 500]);
    expect(h.finals).toEqual([]);
  });

  it("stops for good on close()", () => {
    const h = harness();
    h.client.connect();
    h.sockets[0]?.open();
    h.client.close();
    expect(h.sockets[0]?.closed).toBe(true);
    expect(h.states.at(-1)).toEqual(["closed", null]);
    expect(h.timers).toHaveLength(0);
  });
});

describe("helpers", () => {
  it("backs off exponentially up to a cap, with bounded jitter", () => {
    expect(backoffDelay(0)).toBe(500);
    expect(backoffDelay(3)).toBe(4000);
    expect(backoffDelay(20)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(0, DEFAULT_BACKOFF, 0)).toBe(400);
    expect(backoffDelay(0, DEFAULT_BACKOFF, 1)).toBe(600);
  });

  it("builds the websocket URL from the page's origin", () => {
    expect(socketUrl({ protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/ws");
    expect(socketUrl({ protocol: "https:", host: "example.org" })).toBe("wss://example.org/ws");
  });
});
