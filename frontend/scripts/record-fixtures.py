"""Record real /ws frames from a running server into src/lib/__fixtures__/ (for vitest).

    cd backend && ../.venv/bin/python -m loopscope.cli serve --port 8765 &
    ../.venv/bin/python ../frontend/scripts/record-fixtures.py --port 8765

Each fixture is {"commands": [...], "frames": [...]}: what was sent, and every event received.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

import websockets

OUT = Path(__file__).resolve().parent.parent / "src" / "lib" / "__fixtures__"


async def _record(url: str, commands: list[dict[str, Any]], expect: list[int]) -> list[Any]:
    """Send each command and collect the number of frames expected after it."""
    frames: list[Any] = []
    async with websockets.connect(url, max_size=None) as ws:
        for command, count in zip(commands, expect, strict=True):
            await ws.send(json.dumps(command))
            for _ in range(count):
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=30)))
    return frames


SCRIPTS: dict[str, tuple[list[dict[str, Any]], list[int]]] = {
    # start → session; 10 phases (two iterations; the graph comes with the first loss phase).
    "linear": (
        [{"type": "start", "scenario": "linear", "config": {}}]
        + [{"type": "step", "unit": "phase", "count": 1}] * 10,
        [1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1],
    ),
    "mlp": (
        # Few points keep the fixture small; the model is the default [16, 16] MLP.
        [{"type": "start", "scenario": "mlp", "config": {"n_points": 12}}]
        + [{"type": "step", "unit": "phase", "count": 1}] * 5,
        [1, 1, 2, 1, 1, 1],
    ),
    "diverge": (
        [{"type": "start", "scenario": "linear", "config": {"lr": 10}}]
        + [{"type": "step", "unit": "iteration", "count": 1}] * 1
        + [{"type": "step", "unit": "epoch", "count": 30}],
        [1, -1, -1],
    ),
    "errors": (
        [
            {"type": "start", "scenario": "linear", "config": {"lr": -1}},
            {"type": "set", "lr": 100},
            {"type": "rewind", "iteration": 5},
        ],
        [1, 1, 1],
    ),
}


async def _record_until_quiet(url: str, commands: list[dict[str, Any]]) -> list[Any]:
    """Send each command and collect frames until none arrives for a moment."""
    frames: list[Any] = []
    async with websockets.connect(url, max_size=None) as ws:
        for command in commands:
            await ws.send(json.dumps(command))
            while True:
                try:
                    frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=1.5)))
                except TimeoutError:
                    break
    return frames


def record_scenarios(port: int) -> None:
    """/api/scenarios as served, for the parser's test."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/scenarios") as response:
        body = json.loads(response.read())
    (OUT / "scenarios.json").write_text(json.dumps(body, indent=1) + "\n")
    print(f"scenarios.json: {len(body)} scenarios")


async def record_frames(port: int, only: list[str] | None) -> None:
    """Every websocket fixture in SCRIPTS (or those named in `only`)."""
    url = f"ws://127.0.0.1:{port}/ws"
    for name, (commands, expect) in SCRIPTS.items():
        if only and name not in only:
            continue
        if any(n < 0 for n in expect):
            frames = await _record_until_quiet(url, commands)
        else:
            frames = await _record(url, commands, expect)
        path = OUT / f"{name}.json"
        compact = json.dumps({"commands": commands, "frames": frames}, separators=(",", ":"))
        path.write_text(compact + "\n")
        kinds = [f["type"] + (":" + f["phase"] if f["type"] == "phase" else "") for f in frames]
        print(f"{path.name}: {len(frames)} frames, {path.stat().st_size} bytes: {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--only", nargs="*", help="fixture names to record")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.only or "scenarios" in args.only:
        record_scenarios(args.port)
    asyncio.run(record_frames(args.port, args.only))


if __name__ == "__main__":
    main()
