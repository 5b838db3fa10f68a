"""Adversarial load against a real `loopscope serve` process: what hostile or broken clients
cost the server, and what other clients feel meanwhile (printed, never asserted).

    python benchmarks/adversarial.py --seconds 10 --long-clients 32

Cases, one after the other, each while a probe client steps one phase every 50 ms and
polls /api/health every 50 ms (their p99 is "other clients' p99"):
  * ping flood: 2 clients send pings as fast as they can and never read;
  * slow reader: a client sends `set` at 150/s and never reads;
  * long commands: N clients each ask a long `step` (mlp 4 × 64, 2 000 points, batch 1);
  * compares: 8 `POST /api/compare` at once.
For each: the server's RSS before / peak / after, and the probe's p99s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import socket
import struct
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import orjson
import websockets

sys.path.insert(0, os.path.dirname(__file__))
from load import percentile, rss_mb, start_server  # noqa: E402

LINEAR = {"type": "start", "scenario": "linear", "config": {"n_points": 12}}
LONG = {
    "type": "start",
    "scenario": "mlp",
    "config": {"n_points": 2000, "batch_size": 1, "hidden": [64, 64, 64, 64]},
}


def raw_socket(port: int) -> socket.socket:
    """A websocket handshake on a bare socket, which then never reads."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    sock.recv(4096)
    sock.setblocking(False)
    return sock


def frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode]) + (
        bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    )
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def probe(
    port: int, stop: asyncio.Event, ready: asyncio.Event, out: dict[str, list[float]]
) -> None:
    """Another learner: a one-phase step and a health poll every 50 ms, timed (in `out`
    from the start, in `out["*_steady"]` once the attack is under way: `ready`)."""
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        await ws.send(orjson.dumps(LINEAR).decode())
        await ws.recv()
        async with httpx.AsyncClient(timeout=60) as http:
            while not stop.is_set():
                steady = ready.is_set()  # the attack was under way before this probe began
                begin = time.perf_counter()
                await ws.send('{"type": "step"}')
                while orjson.loads(await ws.recv())["type"] != "phase":
                    pass
                stepped = (time.perf_counter() - begin) * 1000
                begin = time.perf_counter()
                await http.get(f"http://127.0.0.1:{port}/api/health")
                polled = (time.perf_counter() - begin) * 1000
                for suffix in ("", "_steady") if steady else ("",):
                    out["step" + suffix].append(stepped)
                    out["health" + suffix].append(polled)
                await asyncio.sleep(0.05)


async def ping_flood(port: int, stop: asyncio.Event, ready: asyncio.Event) -> None:
    socks = [raw_socket(port) for _ in range(2)]
    ready.set()
    ping = frame(0x9, b"x" * 100)
    while not stop.is_set():
        for sock in socks:
            try:
                sock.send(ping * 50)
            except (BlockingIOError, OSError):
                pass
        await asyncio.sleep(0.001)


async def slow_reader(port: int, stop: asyncio.Event, ready: asyncio.Event) -> None:
    sock = raw_socket(port)
    sock.send(frame(0x1, orjson.dumps({"type": "start", "scenario": "linear"})))
    ready.set()
    n = 0
    while not stop.is_set():
        n += 1
        try:
            sock.send(frame(0x1, orjson.dumps({"type": "set", "lr": 0.01 + (n % 100) * 1e-4})))
        except (BlockingIOError, OSError):
            pass
        await asyncio.sleep(1 / 150)


Attack = Callable[[int, asyncio.Event, asyncio.Event], Awaitable[None]]


def long_commands(clients: int) -> Attack:
    async def run(port: int, stop: asyncio.Event, ready: asyncio.Event) -> None:
        started = 0

        async def one(i: int) -> None:
            nonlocal started
            # Learners on their own addresses: the per-address cap is not what is measured.
            address = (f"127.0.{1 + i // 250}.{1 + i % 250}", 0)
            url = f"ws://127.0.0.1:{port}/ws"
            async with websockets.connect(url, max_size=None, local_addr=address) as ws:
                await ws.send(orjson.dumps(LONG).decode())
                await ws.recv()
                await ws.send('{"type": "step", "unit": "epoch", "count": 5}')
                started += 1
                if started == clients:  # every run built, every long step asked
                    ready.set()
                await stop.wait()

        await asyncio.gather(*(one(i) for i in range(clients)), return_exceptions=True)

    return run


async def compares(port: int, stop: asyncio.Event, ready: asyncio.Event) -> None:
    ready.set()
    body = {"scenario": "mlp", "epochs": 60}
    async with httpx.AsyncClient(timeout=120) as http:
        url = f"http://127.0.0.1:{port}/api/compare"
        answers = await asyncio.gather(*(http.post(url, json=body) for _ in range(8)))
    print(f"   compares: statuses {sorted(a.status_code for a in answers)}")
    await stop.wait()


async def measure(name: str, port: int, pid: int, attack: Attack, seconds: float) -> None:
    stop, ready = asyncio.Event(), asyncio.Event()
    out: dict[str, list[float]] = {
        k: [] for k in ("step", "health", "step_steady", "health_steady")
    }
    before, peak = rss_mb(pid), 0.0
    tasks = [
        asyncio.create_task(probe(port, stop, ready, out)),
        asyncio.create_task(attack(port, stop, ready)),
    ]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.1)
    stop.set()
    for failed in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(failed, BaseException):
            print(f"   ({name}: {type(failed).__name__}: {failed})")
    await asyncio.sleep(1.0)
    print(
        f"{name:>14}: RSS {before:.0f} → peak {peak:.0f} → after {rss_mb(pid):.0f} MB;"
        f" other client's step p99 {percentile(out['step'], 0.99):.1f} ms"
        f" (under way: p50 {percentile(out['step_steady'], 0.5):.1f},"
        f" p99 {percentile(out['step_steady'], 0.99):.1f}),"
        f" /api/health p99 {percentile(out['health'], 0.99):.1f} ms"
        f" (under way: {percentile(out['health_steady'], 0.99):.1f});"
        f" {len(out['step'])} probes, {len(out['step_steady'])} under way"
    )


async def main_async(args: argparse.Namespace) -> None:
    port, server = start_server()
    try:
        cases: list[tuple[str, Attack]] = [
            ("ping flood", ping_flood),
            ("slow reader", slow_reader),
            (f"{args.long_clients} long steps", long_commands(args.long_clients)),
            ("8 compares", compares),
        ]
        for name, attack in cases:
            await measure(name, port, server.pid, attack, args.seconds)
    finally:
        server.terminate()
        server.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--long-clients", type=int, default=32)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
