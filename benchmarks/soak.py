"""Soak: one run playing at full speed for a while; is the server's memory flat?

    python benchmarks/soak.py --minutes 10 [--scenario linear] [--rate 240]

Samples the server process's RSS every --every seconds and prints the samples, the
growth from the first minute's level to the end, and the frames received.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

import orjson
import websockets
from load import health, rss_mb, start_server  # type: ignore[import-not-found]


async def soak(
    port: int, scenario: str, rate: float, seconds: float, every: float, pid: int
) -> None:
    samples: list[tuple[float, float]] = []
    frames = 0
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        await ws.send(orjson.dumps({"type": "start", "scenario": scenario}).decode())
        await ws.recv()
        await ws.send(orjson.dumps({"type": "play", "unit": "phase", "rate": rate}).decode())
        start = time.monotonic()
        next_sample = start
        while (now := time.monotonic()) - start < seconds:
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            frames += frame["type"] == "phase"
            if now >= next_sample:
                samples.append((now - start, rss_mb(pid)))
                print(
                    f"  t={now - start:6.0f}s  RSS {samples[-1][1]:.1f} MB  frames {frames}",
                    flush=True,
                )
                next_sample += every
        await ws.send('{"type":"pause"}')
    settled = [rss for t, rss in samples if t >= min(60.0, seconds / 4)] or [samples[-1][1]]
    print(
        f"{frames} frames in {seconds:.0f} s ({frames / seconds:.0f}/s); RSS after warm-up"
        f" {settled[0]:.1f} MB → end {samples[-1][1]:.1f} MB"
        f" (growth {samples[-1][1] - settled[0]:+.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--scenario", default="linear")
    parser.add_argument("--rate", type=float, default=240.0, help="phases/s (server max 240)")
    parser.add_argument("--every", type=float, default=30.0)
    args = parser.parse_args()
    if not 0 < args.minutes <= 60:
        sys.exit("minutes must be in (0, 60]")
    port, server = start_server()
    try:
        asyncio.run(soak(port, args.scenario, args.rate, args.minutes * 60, args.every, server.pid))
        print("after:", health(port))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
