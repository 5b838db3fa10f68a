"""A real uvicorn server (configured exactly as `loopscope serve` configures it) on 127.0.0.1,
driven by a real `websockets` client: the full stack, frames as bytes on a TCP socket."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from loopscope import cli
from loopscope.protocol import EVENT_ADAPTER

from .._helpers import PHASES, make_session, wire
from ._live import serving

START = {"type": "start", "scenario": "linear", "config": {"n_points": 12, "device": "cpu"}}
MAX_MESSAGE_BYTES = 4096


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """`loopscope serve`'s app and uvicorn options, run in a thread on a pre-bound socket."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
        mp.setenv("LOOPSCOPE_MAX_MESSAGE_BYTES", str(MAX_MESSAGE_BYTES))
        mp.setenv("LOOPSCOPE_DEVICE", "cpu")
        mp.setenv("LOOPSCOPE_RESUME_GRACE_S", "60")
        cli.main(["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"])
    ((app, kwargs),) = calls
    with serving(uvicorn.Server(uvicorn.Config(app, **kwargs)), sock):
        yield f"127.0.0.1:{port}"


def ws_url(host: str) -> str:
    return f"ws://{host}/ws"


async def receive(ws: ClientConnection) -> dict[str, Any]:
    event = json.loads(await asyncio.wait_for(ws.recv(), 30))
    EVENT_ADAPTER.validate_python(event)
    return event


async def until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    events = [await receive(ws)]
    while events[-1]["type"] != kind:
        assert events[-1]["type"] != "error", events[-1]
        events.append(await receive(ws))
    return events


async def send(ws: ClientConnection, message: Any) -> None:
    await ws.send(message if isinstance(message, str | bytes) else json.dumps(message))


async def start(ws: ClientConnection) -> dict[str, Any]:
    await send(ws, START)
    (event,) = await until(ws, "session")
    return event


async def step(ws: ClientConnection, **command: Any) -> list[dict[str, Any]]:
    await send(ws, {"type": "step", **command})
    return await until(ws, "phase")


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    capture = event.get("capture")
    if capture and "references" in capture:
        return {**event, "capture": {k: v for k, v in capture.items() if k != "references"}}
    return event


async def health(server: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        response = await client.get("/api/health")
        assert response.status_code == 200
        return response.json()


async def wait_for_health(server: str, **expected: int) -> dict[str, Any]:
    """Poll /api/health until the counts read `expected` (the server cleans up after a
    close on its own schedule); fail after a generous bound rather than hang."""
    for _ in range(300):
        body = await health(server)
        if all(body[k] == v for k, v in expected.items()):
            return body
        await asyncio.sleep(0.05)
    pytest.fail(f"health never reached {expected}: {body}")


async def test_five_phases_over_a_real_socket_are_the_engines_numbers(server: str) -> None:
    local = make_session("linear", **START["config"])
    async with connect(ws_url(server), max_size=None) as ws:
        session = await start(ws)
        assert session["device"] == "cpu"
        received = []
        for _ in range(2 * 5):
            received += await step(ws)
        expected = [wire(e) for _ in range(2 * 5) for e in local.step("phase", 1)]
        assert [e["type"] for e in received[:3]] == ["phase", "graph", "phase"]
        phases = [e["phase"] for e in received if e["type"] == "phase"]
        assert phases == list(PHASES) * 2
        # Exactly the in-process engine's events: float32 values survive the socket bit for bit.
        assert [comparable(e) for e in received] == [comparable(e) for e in expected]


async def test_play_pause_reset_rewind_set(server: str) -> None:
    async with connect(ws_url(server), max_size=None) as ws:
        await start(ws)
        await send(ws, {"type": "play", "unit": "iteration", "rate": 100})
        iterations = []
        while len(iterations) < 3:
            event = await receive(ws)
            if event["type"] == "phase":
                iterations.append(event["iteration"])
        assert iterations == sorted(set(iterations))
        await send(ws, {"type": "pause"})
        await send(ws, {"type": "rewind", "iteration": 1})
        rewound = (await until(ws, "session"))[-1]  # after any phases still on their way
        assert rewound["iteration"] == 1
        (after,) = await step(ws)
        assert (after["phase"], after["iteration"]) == ("forward", 1)  # nothing plays now
        await send(ws, {"type": "set", "lr": 0.05})
        assert (await until(ws, "session"))[0]["config"]["lr"] == 0.05
        await send(ws, {"type": "reset"})
        assert (await until(ws, "session"))[0]["iteration"] == 0
        assert (await health(server))["play_tasks"] == 0


BAD: list[tuple[str | bytes, str, str | None]] = [
    ('{"type": "step"', "invalid_json", None),
    ('{"type": "step", "count": NaN}', "invalid_json", None),
    (b"\x00\x01", "invalid_message", None),
    ('{"type": "launch"}', "invalid_message", "type"),
    ('{"unit": "phase"}', "invalid_message", "type"),
    ('{"type": "step", "count": [1]}', "invalid_message", "count"),
    ('{"type": "step", "count": -3}', "out_of_range", "count"),
    ('{"type": "step", "count": 100000000}', "out_of_range", "count"),
    ('{"type": "step", "extra": 1}', "invalid_message", "extra"),
    ('{"type": "rewind", "iteration": 500}', "out_of_range", "iteration"),
    ('{"type": "start", "config": {"n_points": 1}}', "invalid_config", "config.n_points"),
]


async def test_bad_input_is_refused_and_changes_nothing(server: str) -> None:
    async with (
        connect(ws_url(server), max_size=None) as bad,
        connect(ws_url(server), max_size=None) as twin,
    ):
        for ws in (bad, twin):
            await start(ws)
            await step(ws, unit="iteration", count=2)
        for message, code, field in BAD:
            await send(bad, message)
            error = await receive(bad)
            assert (error["type"], error["code"], error["field"]) == ("error", code, field), message
            ours, theirs = await step(bad), await step(twin)
            assert [comparable(e) for e in ours] == [comparable(e) for e in theirs], message


async def test_command_before_start(server: str) -> None:
    async with connect(ws_url(server)) as ws:
        await send(ws, {"type": "step"})
        error = await receive(ws)
        assert (error["code"], error["field"]) == ("wrong_state", "type")


async def test_too_big_message_closes_with_1009(server: str) -> None:
    async with connect(ws_url(server), max_size=None) as ws:
        await start(ws)
        await send(ws, json.dumps({"type": "step", "pad": "x" * MAX_MESSAGE_BYTES}))
        with pytest.raises(ConnectionClosed) as exc:
            await receive(ws)
        assert exc.value.rcvd is not None and exc.value.rcvd.code == 1009


async def test_origin_check(server: str) -> None:
    with pytest.raises(InvalidStatus) as exc:
        async with connect(ws_url(server), origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    assert exc.value.response.status_code == 403
    async with connect(ws_url(server), origin=f"http://{server}") as ws:  # type: ignore[arg-type]
        assert (await start(ws))["type"] == "session"


async def test_resume_after_a_dropped_connection(server: str) -> None:
    before = await health(server)
    async with connect(ws_url(server), max_size=None) as ws:
        session = await start(ws)
        *graph, event = await step(ws, unit="iteration", count=3)
        assert [g["type"] for g in graph] == ["graph"]  # the first captured loss phase
    # The server parks the run once it has noticed the close.
    await wait_for_health(server, parked_runs=before["parked_runs"] + 1)
    async with connect(ws_url(server), max_size=None) as ws:
        await send(ws, {"type": "resume", "token": session["token"]})
        (resumed,) = await until(ws, "session")
        assert (resumed["run_id"], resumed["iteration"]) == (session["run_id"], 3)
        assert resumed["params"] == event["params"]
        (next_phase,) = await step(ws)
        assert (next_phase["phase"], next_phase["iteration"]) == ("forward", 3)


async def test_connections_are_released_after_close(server: str) -> None:
    async with connect(ws_url(server)) as ws:
        await start(ws)
        assert (await health(server))["connections"] >= 1
    await wait_for_health(server, connections=0, workers=0, play_tasks=0)


async def test_http_endpoints(server: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}") as client:
        body = (await client.get("/api/health")).json()
        assert body["status"] == "ok" and body["torch_threads"] == 1
        scenarios = (await client.get("/api/scenarios")).json()
        assert [s["name"] for s in scenarios] == ["linear", "mlp", "classify", "charlm"]
        assert all("properties" in s["config_schema"] and s["defaults"] for s in scenarios)
        # The page names the built-ins in the learner's language: the server gives no title.
        assert [s["title"] for s in scenarios] == [None] * 4
        protocol = (await client.get("/api/protocol")).json()
        assert set(protocol["events"]) <= set(protocol["$defs"])
