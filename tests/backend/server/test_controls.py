"""Controls against a real server: paced play waits for the page, a long step reports its
progress and stops at a pause, and the session lists the `set`s of its branch."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from ._live import live_server

LINEAR = {"type": "start", "scenario": "linear", "config": {"device": "cpu"}}
LONG = {  # batch 1 on 2000 points: 2000 iterations an epoch
    "type": "start",
    "scenario": "linear",
    "config": {"n_points": 2000, "batch_size": 1, "device": "cpu"},
}


async def next_of(ws: ClientConnection, kind: str, seconds: float = 30) -> dict[str, Any]:
    """The next event of type `kind` (others are skipped; an error fails)."""
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), seconds))
        assert event["type"] != "error", event
        if event["type"] == kind:
            return event


async def quiet_for(ws: ClientConnection, kind: str, seconds: float) -> bool:
    """True when no event of type `kind` arrives within `seconds`."""
    try:
        await next_of(ws, kind, seconds)
    except TimeoutError:
        return True
    return False


def test_paced_play_runs_no_step_until_the_page_has_drawn_the_last() -> None:
    with live_server() as host:

        async def scenario() -> None:
            async with connect(f"ws://{host}/ws") as ws:
                await ws.send(json.dumps(LINEAR))
                await next_of(ws, "session")
                play = {"type": "play", "unit": "iteration", "rate": 200, "paced": True}
                await ws.send(json.dumps(play))
                first = await next_of(ws, "phase")
                # Nothing was drawn: at 200 steps a second, a second of silence.
                assert await quiet_for(ws, "phase", 1.0)
                await ws.send(json.dumps({"type": "shown"}))
                second = await next_of(ws, "phase")
                # The second the page took is made up in one step (the rate holds), at most
                # a second's worth, and then play waits again.
                assert first["iteration"] + 1 < second["iteration"] <= first["iteration"] + 200
                assert second["phase"] == "step"
                assert await quiet_for(ws, "phase", 0.5)
                # A pause while play waits for the page: not one step more.
                await ws.send(json.dumps({"type": "pause"}))
                stopped = await next_of(ws, "play_state")
                assert (stopped["playing"], stopped["reason"]) == (False, "paused")
                await ws.send(json.dumps({"type": "step", "unit": "phase", "count": 1}))
                after = await next_of(ws, "phase")
                assert (after["iteration"], after["phase"]) == (second["iteration"] + 1, "forward")

        asyncio.run(scenario())


def test_unpaced_play_does_not_wait() -> None:
    with live_server() as host:

        async def scenario() -> None:
            async with connect(f"ws://{host}/ws") as ws:
                await ws.send(json.dumps(LINEAR))
                await next_of(ws, "session")
                play = {"type": "play", "unit": "iteration", "rate": 200}
                await ws.send(json.dumps(play))
                seen = {(await next_of(ws, "phase"))["iteration"] for _ in range(5)}
                assert len(seen) == 5
                await ws.send(json.dumps({"type": "pause"}))
                assert not (await next_of(ws, "play_state"))["playing"]

        asyncio.run(scenario())


def test_a_long_step_reports_progress_and_a_pause_stops_it() -> None:
    with live_server(max_command_seconds=3600.0) as host:

        async def scenario() -> None:
            async with connect(f"ws://{host}/ws") as ws:
                await ws.send(json.dumps(LONG))
                await next_of(ws, "session")
                await ws.send(json.dumps({"type": "step", "unit": "epoch", "count": 40}))
                progress = [await next_of(ws, "progress"), await next_of(ws, "progress")]
                assert [p["first"] for p in progress] == [0, 0]
                assert [p["total"] for p in progress] == [80_000, 80_000]
                assert 0 < progress[0]["done"] < progress[1]["done"] < 80_000
                await ws.send(json.dumps({"type": "pause"}))
                event = await next_of(ws, "phase")
                # Cut short within about an iteration of the pause, far from the end.
                assert progress[1]["done"] <= event["iteration"] < 80_000 - 1
                assert event["phase"] == "step"

        asyncio.run(scenario())
