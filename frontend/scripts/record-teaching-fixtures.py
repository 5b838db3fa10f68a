"""Record small real runs for the teaching panels' tests into src/lib/__fixtures__/teaching-*.json.

    cd backend && ../.venv/bin/python -m loopscope.cli serve --port 8765 &
    ../.venv/bin/python ../frontend/scripts/record-teaching-fixtures.py --port 8765

Each run is tiny (a few points) and steps phase by phase so that every phase event carries
its capture; momentum and Adam take three iterations, so the optimizer state exists before
the step that is checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import websockets

OUT = Path(__file__).resolve().parent.parent / "src" / "lib" / "__fixtures__"

# name → (scenario, config, iterations)
RUNS: dict[str, tuple[str, dict[str, Any], int]] = {
    "sgd": ("linear", {"n_points": 5, "device": "cpu"}, 2),
    "momentum": ("linear", {"n_points": 5, "optimizer": "momentum", "device": "cpu"}, 3),
    "momentum-wd": (
        "linear",
        {"n_points": 5, "optimizer": "momentum", "weight_decay": 0.05, "device": "cpu"},
        2,
    ),
    "adam": ("linear", {"n_points": 5, "optimizer": "adam", "lr": 0.1, "device": "cpu"}, 3),
    "adamw": ("mlp", {"n_points": 6, "hidden": [3], "optimizer": "adamw", "device": "cpu"}, 2),
    "l1": ("linear", {"n_points": 5, "loss": "l1", "device": "cpu"}, 1),
    "classify": (
        "classify",
        {"n_points": 6, "hidden": [3], "optimizer": "sgd", "lr": 0.1, "device": "cpu"},
        1,
    ),
}


async def _collect(ws: Any) -> list[Any]:
    """Frames until none arrives for a moment."""
    frames: list[Any] = []
    while True:
        try:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=1.0)))
        except TimeoutError:
            return frames


async def record(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/ws"
    for name, (scenario, config, iterations) in RUNS.items():
        commands: list[dict[str, Any]] = [{"type": "start", "scenario": scenario, "config": config}]
        commands += [{"type": "step", "unit": "phase", "count": 1}] * (5 * iterations)
        frames: list[Any] = []
        async with websockets.connect(url, max_size=None) as ws:
            for command in commands:
                await ws.send(json.dumps(command))
                frames += await _collect(ws)
        for frame in frames:
            frame.pop("token", None)  # a secret of that run; tests do not need it
            # The loss landscape and the fit views are big and these tests do not read them.
            if frame.get("type") == "session":
                frame["landscape"] = None
            if frame.get("type") == "phase":
                frame["fit"] = None
        path = OUT / f"teaching-{name}.json"
        compact = json.dumps({"commands": commands, "frames": frames}, separators=(",", ":"))
        path.write_text(compact + "\n")
        print(f"{path.name}: {len(frames)} frames, {path.stat().st_size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    asyncio.run(record(args.port))


if __name__ == "__main__":
    main()
