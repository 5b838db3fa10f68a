"""Load: N concurrent runs against a real server process on loopback (bounded in count and time).

    python benchmarks/load.py --clients 100 --rate 10 --seconds 20

The server runs as its own process (`loopscope serve`), the clients as asyncio
websocket clients in this one.  Reported, never asserted:
  * play: each client plays `linear` at --rate phases/s; the gap between frames
    beyond the expected period (server pacing lateness), p50/p99, and frames/s;
  * step: each client sends `step` at --rate per second and times command → frame
    (the frame latency a learner feels), p50/p99;
  * errors, server RSS and CPU during the run, idle memory per run, and the
    server's counts and RSS after every client left (nothing leaked).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import orjson
import websockets

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
        data: dict[str, Any] = orjson.loads(r.read())
        return data


def start_server(env: dict[str, str] | None = None) -> tuple[int, subprocess.Popen[bytes]]:
    """`loopscope serve` on a free loopback port, in its own process; returns once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "loopscope.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--log-level", "warning"], env={**os.environ, **(env or {})}
    )
    for _ in range(1200):  # up to a minute: the warm-up is slow on a busy machine
        try:
            health(port)
            break
        except OSError:
            time.sleep(0.05)
    else:
        raise RuntimeError("the server did not answer /api/health within a minute")
    return port, server


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def play_client(port: int, rate: float, seconds: float, out: dict[str, Any]) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        await ws.send('{"type":"start","scenario":"linear"}')
        await ws.recv()
        await ws.send(orjson.dumps({"type": "play", "unit": "phase", "rate": rate}).decode())
        period = 1 / rate
        last = None
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            now = time.monotonic()
            if frame["type"] == "error":
                out["errors"] += 1
            elif frame["type"] == "phase":
                out["frames"] += 1
                if last is not None:
                    out["late"].append(max(0.0, now - last - period))
                last = now
        await ws.send('{"type":"pause"}')


async def step_client(port: int, rate: float, seconds: float, out: dict[str, Any]) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        await ws.send('{"type":"start","scenario":"linear"}')
        await ws.recv()
        period = 1 / rate
        end = time.monotonic() + seconds
        next_send = time.monotonic()
        while time.monotonic() < end:
            start = time.monotonic()
            await ws.send('{"type":"step","unit":"phase","count":1}')
            while True:
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["type"] == "error":
                    out["errors"] += 1
                    break
                if frame["type"] == "phase":
                    out["latency"].append(time.monotonic() - start)
                    out["at"].append(start)
                    break
            next_send += period
            await asyncio.sleep(max(0.0, next_send - time.monotonic()))


async def run_mode(
    mode: str, port: int, clients: int, rate: float, seconds: float
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "errors": 0,
        "frames": 0,
        "late": [],
        "latency": [],
        "at": [],
        "failed": 0,
        "t0": time.monotonic(),
    }
    client = play_client if mode == "play" else step_client

    async def guarded(i: int) -> None:
        await asyncio.sleep(i * 0.01)  # stagger the handshakes
        try:
            await client(port, rate, seconds, out)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            out["failed"] += 1
            out.setdefault("failure", repr(exc))

    await asyncio.gather(*(guarded(i) for i in range(clients)))
    return out


async def idle_runs(port: int, n: int) -> list[Any]:
    sockets = []
    for _ in range(n):
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None)
        await ws.send('{"type":"start","scenario":"linear"}')
        await ws.recv()
        sockets.append(ws)
    return sockets


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="phases per second per client")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--idle", type=int, default=100, help="idle runs for the memory figure")
    args = parser.parse_args()
    if not (1 <= args.clients <= 500 and 0 < args.seconds <= 600):
        sys.exit("clients must be 1..500 and seconds 0..600")

    # Every client connects from 127.0.0.1: the per-address cap (16 by default, against one
    # host opening many runs) would refuse all but the first 16 of them.
    port, server = start_server(
        {
            "LOOPSCOPE_MAX_RUNS": "1000",
            "LOOPSCOPE_RESUME_GRACE_S": "0",
            "LOOPSCOPE_MAX_CONNECTIONS_PER_CLIENT": str(max(args.clients, args.idle) + 1),
        }
    )
    try:
        base_rss = rss_mb(server.pid)
        print(f"server pid {server.pid}, RSS at start {base_rss:.1f} MB")

        for mode in ("step", "play"):
            cpu0, t0 = cpu_s(server.pid), time.monotonic()
            out = asyncio.run(run_mode(mode, port, args.clients, args.rate, args.seconds))
            cpu = (cpu_s(server.pid) - cpu0) / (time.monotonic() - t0)
            rss = rss_mb(server.pid)
            if mode == "step":
                lat = [v * 1e3 for v in out["latency"]]
                # Steady state: after every client has connected and started (staggered 10 ms).
                warm = out["t0"] + args.clients * 0.01 + 1.0
                steady = [
                    v * 1e3 for v, t in zip(out["latency"], out["at"], strict=True) if t > warm
                ]
                print(
                    f"step  {args.clients} clients × {args.rate:g}/s: {len(lat)} frames,"
                    f" latency p50 {percentile(lat, 0.5):.2f} ms"
                    f" p99 {percentile(lat, 0.99):.2f} ms (steady state after all connected:"
                    f" p50 {percentile(steady, 0.5):.2f} ms p99 {percentile(steady, 0.99):.2f} ms),"
                    f" errors {out['errors']}, failed clients {out['failed']},"
                    f" server CPU {cpu * 100:.0f}%, RSS {rss:.1f} MB"
                )
            else:
                late = [v * 1e3 for v in out["late"]]
                fps = out["frames"] / args.seconds / args.clients
                print(
                    f"play  {args.clients} clients × {args.rate:g}/s: {fps:.2f} frames/s/client,"
                    f" lateness p50 {percentile(late, 0.5):.2f} ms"
                    f" p99 {percentile(late, 0.99):.2f} ms,"
                    f" errors {out['errors']}, failed clients {out['failed']},"
                    f" server CPU {cpu * 100:.0f}%, RSS {rss:.1f} MB"
                )
            if "failure" in out:
                print("   first failure:", out["failure"])
            time.sleep(3.0)  # the server's sweeper trims freed memory within a couple of seconds
            print(f"   after clients left: {health(port)}, RSS {rss_mb(server.pid):.1f} MB")

        async def idle() -> tuple[float, float]:
            before = rss_mb(server.pid)
            sockets = await idle_runs(port, args.idle)
            await asyncio.sleep(0.5)
            during = rss_mb(server.pid)
            for ws in sockets:
                await ws.close()
            return before, during

        before, during = asyncio.run(idle())
        time.sleep(3.0)
        print(
            f"idle: {args.idle} runs add {during - before:.1f} MB,"
            f" {(during - before) / args.idle * 1024:.0f} KB per run;"
            f" after they left: {health(port)['runs']} runs, RSS {rss_mb(server.pid):.1f} MB"
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
