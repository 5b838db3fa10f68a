"""Record what a `loopscope trace` page receives, for the frontend's tests.

Runs each test script of tests/trace/scripts under the real traced-run server (in process,
through the websocket as the page speaks it): a few single phases, then iterations until the
script ends, then a `reset` and the new run's first session. Writes
src/lib/__fixtures__/trace-<name>.json as {commands, frames}.

    ../.venv/bin/python scripts/record-trace-fixtures.py
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import orjson

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient, WebSocketTestSession

from loopscope.config import Settings
from loopscope.server.app import create_app
from loopscope.server.traced import TracedRun

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "trace" / "scripts"
OUT = ROOT / "frontend" / "src" / "lib" / "__fixtures__"
RECORDED = {"raises": "raises_midway.py", "two-files": "two_files/train.py"}


def until(ws: WebSocketTestSession, kind: str, frames: list[Any]) -> None:
    while True:
        frames.append(orjson.loads(ws.receive_text()))
        if frames[-1]["type"] == kind:
            return


def record(script: Path) -> dict[str, Any]:
    commands: list[Any] = []
    frames: list[Any] = []
    run = TracedRun(str(script), [], echo=False)
    with (
        TestClient(create_app(Settings(), traced=run)) as client,
        client.websocket_connect("/ws") as ws,
    ):

        def send(command: dict[str, Any], then: str) -> None:
            commands.append(command)
            ws.send_text(json.dumps(command))
            until(ws, then, frames)

        until(ws, "play_state", frames)
        for _ in range(5):
            send({"type": "step", "unit": "phase", "count": 1}, "phase")
        send({"type": "step", "unit": "iteration", "count": 100_000}, "end")
        send({"type": "reset"}, "session")
    return {"commands": commands, "frames": frames}


def main() -> int:
    for name, script in RECORDED.items():
        path = OUT / f"trace-{name}.json"
        # The paths in tracebacks and descriptions name a learner's folder, not this one.
        text = json.dumps(record(SCRIPTS / script), indent=1).replace(str(ROOT), "/home/learner")
        path.write_text(text + "\n")
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
