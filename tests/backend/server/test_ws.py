"""/ws through Starlette's TestClient: commands in, events out, bad input refused harmlessly."""

from __future__ import annotations

import asyncio
import json
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

import loopscope.server.connection as connection_module
from loopscope.config import Settings
from loopscope.protocol import EVENT_ADAPTER
from loopscope.server.app import create_app
from loopscope.server.connection import Connection
from loopscope.server.runs import RunRegistry
from loopscope.server.work import Work

from .._helpers import PHASES, points

START = {"type": "start", "scenario": "linear", "config": {"n_points": 12, "device": "cpu"}}


def settings(**overrides: Any) -> Settings:
    # Long steps here are about cutting short; the work budget has its own tests (test_limits).
    return Settings(device="cpu", **{"max_command_seconds": 3600.0, **overrides})


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(settings())) as c:
        yield c


def send(ws: WebSocketTestSession, message: Any) -> None:
    ws.send_text(message if isinstance(message, str) else json.dumps(message))


def receive(ws: WebSocketTestSession) -> dict[str, Any]:
    event = ws.receive_json()
    EVENT_ADAPTER.validate_python(event)
    return event


def until(ws: WebSocketTestSession, kind: str) -> list[dict[str, Any]]:
    """Events up to and including the next one of type `kind` (an unexpected error fails)."""
    events = [receive(ws)]
    while events[-1]["type"] != kind:
        assert events[-1]["type"] != "error", events[-1]
        events.append(receive(ws))
    return events


def start(ws: WebSocketTestSession, message: dict[str, Any] = START) -> dict[str, Any]:
    send(ws, message)
    (event,) = until(ws, "session")
    return event


def step(ws: WebSocketTestSession, **command: Any) -> list[dict[str, Any]]:
    send(ws, {"type": "step", **command})
    return until(ws, "phase")


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    """A phase event without the step capture's object identities (they differ per run)."""
    capture = event.get("capture")
    if capture and "references" in capture:
        return {**event, "capture": {k: v for k, v in capture.items() if k != "references"}}
    return event


def test_start_and_five_steps_give_the_five_phases(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        session = start(ws)
        assert session["scenario"] == "linear" and session["iteration"] == 0
        forward = step(ws)
        assert [e["type"] for e in forward] == ["phase"]
        assert forward[0]["phase"] == "forward"
        assert [c["module"] for c in forward[0]["capture"]["calls"]] == ["", "linear"]
        loss = step(ws)
        assert [e["type"] for e in loss] == ["graph", "phase"]  # topology first, then values
        assert loss[1]["capture"]["graph_id"] == loss[0]["graph_id"]
        assert isinstance(loss[1]["loss"], float)
        (zero,) = step(ws)
        assert all(v is None for v in zero["capture"]["after"].values())
        (backward,) = step(ws)
        assert backward["capture"]["order"][0] == "MseLossBackward0"
        assert all(v is not None for v in backward["grads"].values())
        (update,) = step(ws)
        assert [u["name"] for u in update["capture"]["updates"]] == ["linear.weight", "linear.bias"]
        assert all(r["same_object"] for r in update["capture"]["references"])
        phases = [forward[0], loss[1], zero, backward, update]
        assert [e["phase"] for e in phases] == list(PHASES)
        assert [e["next_phase"] for e in phases] == [*PHASES[1:], "forward"]
        assert [p["iteration"] for p in points(update)] == [0]
        (again,) = step(ws)
        assert (again["phase"], again["iteration"]) == ("forward", 1)
        assert [e["type"] for e in step(ws)] == ["phase"]  # same topology: no graph event


def test_step_units_reset_rewind_set(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        start(ws, {**START, "config": {**START["config"], "batch_size": 5}})
        *graph, epochs = step(ws, unit="epoch", count=2)
        assert [g["type"] for g in graph] == ["graph"]
        assert (epochs["epoch"], epochs["batch"], epochs["n_batches"]) == (1, 2, 3)
        assert [p["iteration"] for p in points(epochs)] == list(range(6))
        send(ws, {"type": "rewind", "iteration": 2})
        (rewound,) = until(ws, "session")
        assert rewound["iteration"] == 2 and rewound["history"]["last"] == 2
        *_, after = step(ws, unit="iteration")  # the graph comes again after a session event
        assert after["iteration"] == 2
        assert points(after)[0]["loss"] == points(epochs)[2]["loss"]  # same numbers again
        send(ws, {"type": "set", "lr": 0.05})
        (changed,) = until(ws, "session")
        assert changed["config"]["lr"] == 0.05
        assert changed["optimizer"]["param_groups"][0]["hyper"]["lr"] == 0.05
        send(ws, {"type": "reset"})
        (reset,) = until(ws, "session")
        assert reset["iteration"] == 0 and reset["run_id"] == rewound["run_id"]
        *_, first = step(ws, unit="iteration")
        assert points(first)[0]["loss"] == points(epochs)[0]["loss"]


def test_play_and_pause(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        start(ws)
        send(ws, {"type": "play", "unit": "phase", "rate": 200})
        positions = []
        while len(positions) < 4:
            event = receive(ws)
            if event["type"] == "phase":
                positions.append(event["iteration"] * 5 + PHASES.index(event["phase"]))
        assert positions == sorted(set(positions))  # forward in time (maybe coalesced)
        send(ws, {"type": "pause"})
        send(ws, {"type": "reset"})
        until(ws, "session")  # pause and reset done (commands run in order)
        health = client.get("/api/health").json()
        assert health["play_tasks"] == 0
        # Nothing plays any more: the next event is the answer to this step.
        (event,) = step(ws)
        assert (event["phase"], event["iteration"]) == ("forward", 0)


BAD_MESSAGES: list[tuple[str, str | bytes, str, str | None]] = [
    ("malformed json", '{"type": "step", ', "invalid_json", None),
    ("nan token", '{"type": "step", "count": NaN}', "invalid_json", None),
    ("infinity token", '{"type": "set", "lr": Infinity}', "invalid_json", None),
    ("binary frame", b'{"type": "step"}', "invalid_message", None),
    ("not an object", "[1, 2]", "invalid_message", "type"),
    ("unknown type", '{"type": "launch"}', "invalid_message", "type"),
    ("missing type", '{"count": 1}', "invalid_message", "type"),
    ("count not a number", '{"type": "step", "count": "many"}', "invalid_message", "count"),
    ("unit not a string", '{"type": "step", "unit": 5}', "invalid_message", "unit"),
    ("negative count", '{"type": "step", "count": -1}', "out_of_range", "count"),
    ("float count", '{"type": "step", "count": 1e12}', "invalid_message", "count"),
    ("huge count", '{"type": "step", "count": 1000000000000}', "out_of_range", "count"),
    ("zero count", '{"type": "step", "count": 0}', "out_of_range", "count"),
    (
        "long made-up key, cut in the echo",
        '{"type": "step", "' + "k" * 60_000 + '": 1}',
        "invalid_message",
        "k" * 79 + "…",
    ),
    ("extra field", '{"type": "step", "count": 1, "extra": true}', "invalid_message", "extra"),
    ("rate over the cap", '{"type": "play", "rate": 1000}', "out_of_range", "rate"),
    ("rate not positive", '{"type": "play", "rate": -2}', "out_of_range", "rate"),
    ("rewind past history", '{"type": "rewind", "iteration": 99}', "out_of_range", "iteration"),
    ("negative rewind", '{"type": "rewind", "iteration": -1}', "out_of_range", "iteration"),
    ("set out of range", '{"type": "set", "lr": -1}', "out_of_range", "lr"),
    ("set unknown to sgd", '{"type": "set", "eps": 0.1}', "invalid_message", "eps"),
    ("set of nothing", '{"type": "set"}', "invalid_message", None),
    ("set of only nulls", '{"type": "set", "lr": null}', "invalid_message", None),
    (
        "start bad config",
        '{"type": "start", "config": {"lr": "fast"}}',
        "invalid_config",
        "config.lr",
    ),
    (
        "start unknown frozen",
        '{"type": "start", "config": {"frozen": ["nope"]}}',
        "invalid_config",
        "config.frozen.0",
    ),
    (
        "start unknown scenario",
        '{"type": "start", "scenario": "resnet"}',
        "invalid_message",
        "scenario",
    ),
    ("resume unknown token", '{"type": "resume", "token": "nope"}', "not_found", "token"),
]
if not torch.cuda.is_available():
    BAD_MESSAGES.append(
        (
            "start on cuda",
            '{"type": "start", "config": {"device": "cuda"}}',
            "device_unavailable",
            "config.device",
        )
    )


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(client: TestClient) -> None:
    """Each bad message gets one error event; the connection stays open, and the run goes on
    exactly like a twin connection's that never got it."""
    with client.websocket_connect("/ws") as bad, client.websocket_connect("/ws") as twin:
        for ws in (bad, twin):
            start(ws)
            step(ws, unit="iteration", count=2)
            step(ws)
        for name, message, code, field in BAD_MESSAGES:
            if isinstance(message, bytes):
                bad.send_bytes(message)
            else:
                bad.send_text(message)
            error = receive(bad)
            assert error["type"] == "error", name
            assert (error["code"], error["field"]) == (code, field), name
            ours, theirs = step(bad), step(twin)
            assert [comparable(e) for e in ours] == [comparable(e) for e in theirs], name


def test_commands_before_start_are_wrong_state(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        for command in ("step", "play", "reset", "set"):
            message = {"type": command, "lr": 0.1} if command == "set" else {"type": command}
            send(ws, message)
            error = receive(ws)
            assert (error["code"], error["field"]) == ("wrong_state", "type")
        send(ws, {"type": "rewind", "iteration": 0})
        assert receive(ws)["code"] == "wrong_state"
        assert start(ws)["iteration"] == 0  # and the connection still works


def test_message_over_the_size_limit_closes_with_1009() -> None:
    with TestClient(create_app(settings(max_message_bytes=256))) as c:
        with c.websocket_connect("/ws") as ws:
            start(ws)
            send(ws, json.dumps({"type": "step", "pad": "x" * 300}))
            message = ws.receive()
            assert message["type"] == "websocket.close" and message["code"] == 1009


def test_multibyte_message_over_the_byte_limit_closes_with_1009() -> None:
    with TestClient(create_app(settings(max_message_bytes=256))) as c:
        with c.websocket_connect("/ws") as ws:
            text = json.dumps({"type": "step", "pad": "é" * 200}, ensure_ascii=False)
            assert len(text) < 256 < len(text.encode())
            send(ws, text)
            message = ws.receive()
            assert message["type"] == "websocket.close" and message.get("code") == 1009


def test_foreign_origin_is_refused_same_origin_accepted() -> None:
    app = create_app(settings(allowed_origins=["http://allowed.example"]))
    with TestClient(app) as c:
        with pytest.raises(WebSocketDisconnect) as exc:
            with c.websocket_connect("/ws", headers={"origin": "http://evil.example"}):
                pass
        assert exc.value.code == 1008
        for origin in ("http://testserver", "http://allowed.example"):
            with c.websocket_connect("/ws", headers={"origin": origin}) as ws:
                assert start(ws)["type"] == "session"


def test_runs_beyond_the_limit_are_refused() -> None:
    with TestClient(create_app(settings(max_runs=1, resume_grace_s=0))) as c:
        with c.websocket_connect("/ws") as first:
            start(first)
            with c.websocket_connect("/ws") as second:
                error = second.receive_json()
                assert error["code"] == "too_many_runs"
                message = second.receive()
                assert message["type"] == "websocket.close" and message["code"] == 1013
            assert step(first)[-1]["phase"] == "forward"


def test_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the clock frozen no token comes back: the third command is refused."""
    frozen = types.SimpleNamespace(monotonic=lambda: 1000.0)
    monkeypatch.setattr(connection_module, "time", frozen)
    with TestClient(create_app(settings(commands_per_second=2))) as c:
        with c.websocket_connect("/ws") as ws:
            start(ws)
            step(ws)
            send(ws, {"type": "step"})
            error = receive(ws)
            assert error["code"] == "rate_limited"


def test_idle_connection_is_closed() -> None:
    with TestClient(create_app(settings(idle_timeout_s=0.2))) as c:
        with c.websocket_connect("/ws") as ws:
            message = ws.receive()
            assert message["type"] == "websocket.close" and message["code"] == 1000


def test_http_api(client: TestClient) -> None:
    health = client.get("/api/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["torch"] == torch.__version__
    assert body["connections"] == 0
    scenarios = client.get("/api/scenarios").json()
    assert [s["name"] for s in scenarios] == ["linear", "mlp", "classify", "charlm"]
    for info in scenarios:
        assert info["config_schema"]["type"] == "object"
        assert "lr" in info["config_schema"]["properties"]
        assert info["defaults"]["seed"] == 42
    linear = scenarios[0]
    assert linear["defaults"]["lr"] == 0.01 and linear["defaults"]["n_points"] == 100
    protocol = client.get("/api/protocol").json()
    assert "PhaseEvent" in protocol["$defs"] and "StepCommand" in protocol["commands"]


def test_health_counts_connections(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        start(ws)
        body = client.get("/api/health").json()
        assert (body["connections"], body["runs"], body["workers"]) == (1, 1, 1)


class FakeSocket:
    """The two ends of a websocket a Connection serves: messages in, frames out."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def push(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        self.incoming.put_nowait({"type": "websocket.receive", "text": text})

    async def receive(self) -> dict[str, Any]:
        return await self.incoming.get()

    async def send_text(self, text: str) -> None:
        self.frames.put_nowait(json.loads(text))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.incoming.put_nowait({"type": "websocket.disconnect", "code": code})

    async def until(self, kind: str) -> list[dict[str, Any]]:
        events = [await asyncio.wait_for(self.frames.get(), 10)]
        while events[-1]["type"] != kind:
            events.append(await asyncio.wait_for(self.frames.get(), 10))
        return events


def served(sock: FakeSocket) -> tuple[Connection, asyncio.Task[None]]:
    """A Connection serving `sock`: its receiver reads the messages pushed, in order."""
    s = settings()
    connection = Connection(sock, s, RunRegistry(0), Work(s))  # type: ignore[arg-type]
    return connection, asyncio.create_task(connection.serve())


async def test_pause_keeps_the_events_of_a_step_already_running() -> None:
    sock = FakeSocket()
    connection, serving = served(sock)
    try:
        sock.push(START)
        await sock.until("session")
        session = connection.session
        assert session is not None
        gate, entered = threading.Event(), threading.Event()
        real_step = session.step

        def gated_step(unit: str, count: int, *options: Any) -> list[dict[str, Any]]:
            entered.set()
            gate.wait(10)
            return real_step(unit, count, *options)

        session.step = gated_step  # type: ignore[method-assign]
        sock.push({"type": "play", "unit": "phase", "rate": 1})
        assert await asyncio.to_thread(entered.wait, 10)
        play = connection.play_task
        assert play is not None
        sock.push({"type": "pause"})
        for _ in range(100):  # let the pause reach the play task
            await asyncio.sleep(0)
            if play.done():
                break
        gate.set()
        events = await sock.until("play_state")  # started
        events += await sock.until("play_state")  # paused, after the step's events
        ran = session.stepper.iteration * 5 + session.stepper.phase_index
        assert ran == 1  # the forward phase ran ...
        assert [e["phase"] for e in events if e["type"] == "phase"] == ["forward"]  # ... said so
        states = [(e["playing"], e["reason"]) for e in events if e["type"] == "play_state"]
        assert states == [(True, "started"), (False, "paused")]
    finally:
        await sock.close()
        await asyncio.wait_for(serving, 10)


BIG_EPOCHS = {  # batch_size 1 on 2000 points: an epoch is 2000 iterations
    "type": "start",
    "scenario": "linear",
    "config": {"n_points": 2000, "batch_size": 1, "device": "cpu"},
}


def test_pause_cuts_a_long_step_short_and_the_run_stays_exact(client: TestClient) -> None:
    """`step` of 50 epochs (100 000 iterations, seconds of work), then `pause` at once: the
    step ends within an iteration or so, with a captured last iteration, and the run is
    exactly where a plain run of that many iterations would be."""
    with client.websocket_connect("/ws") as ws, client.websocket_connect("/ws") as twin:
        start(ws, BIG_EPOCHS)
        send(ws, {"type": "step", "unit": "epoch", "count": 50})
        send(ws, {"type": "pause"})
        *_, event = until(ws, "phase")
        assert event["phase"] == "step" and event["capture"] is not None
        ran = event["iteration"] + 1
        assert ran < 50 * 2000 // 2, ran  # cut short long before the end
        assert [p["iteration"] for p in points(event)] == list(range(ran))
        start(twin, BIG_EPOCHS)
        *_, theirs = step(twin, unit="iteration", count=ran)
        assert comparable(event) == comparable(theirs)
        assert step(ws)[-1]["phase"] == "forward"  # the connection goes on as usual


def test_a_set_or_a_bad_pause_does_not_cut_a_step_short(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        start(ws, BIG_EPOCHS)
        send(ws, {"type": "step", "unit": "iteration", "count": 3000})
        send(ws, {"type": "pause", "unit": "epoch"})  # not a valid pause
        send(ws, {"type": "set", "lr": 0.02})
        *_, event = until(ws, "phase")
        assert event["iteration"] == 2999
        error = receive(ws)
        assert (error["type"], error["field"]) == ("error", "unit")
        (session,) = until(ws, "session")
        assert session["config"]["lr"] == 0.02


async def test_pause_cuts_short_the_step_play_is_running() -> None:
    """Play hands its step a `cut_short` that turns true when pause stops play."""
    sock = FakeSocket()
    connection, serving = served(sock)
    try:
        sock.push(START)
        await sock.until("session")
        session = connection.session
        assert session is not None
        entered, saw_cut = threading.Event(), threading.Event()
        real_step = session.step

        def watching_step(unit: str, count: int, *options: Any) -> list[dict[str, Any]]:
            cut_short = options[1]
            entered.set()
            for _ in range(1000):  # wait (at most 10 s) for the pause to reach us
                if cut_short():
                    saw_cut.set()
                    break
                threading.Event().wait(0.01)
            return real_step(unit, count, *options)

        session.step = watching_step  # type: ignore[method-assign]
        sock.push({"type": "play", "unit": "epoch", "rate": 1})
        assert await asyncio.to_thread(entered.wait, 10)
        sock.push({"type": "pause"})
        await sock.until("play_state")  # started
        (*_, paused) = await sock.until("play_state")
        assert (paused["playing"], paused["reason"]) == (False, "paused")
        assert saw_cut.is_set()
    finally:
        await sock.close()
        await asyncio.wait_for(serving, 10)


def test_messages_beyond_the_inbox_are_refused_at_once_and_the_rest_answered_in_order(
    client: TestClient,
) -> None:
    with client.websocket_connect("/ws") as ws:
        start(ws, BIG_EPOCHS)
        send(ws, {"type": "step", "unit": "iteration", "count": 20_000})  # keeps the run busy
        extra = 8
        for n in range(connection_module.INBOX_SIZE + extra):
            send(ws, {"type": "step", "count": -n})  # each refused, naming `count`
        refused = [receive(ws) for _ in range(extra)]  # the overflow: refused at once
        assert {(e["code"], e["message"]) for e in refused} == {
            ("rate_limited", "too many commands waiting; slow down")
        }
        *_, event = until(ws, "phase")
        assert event["iteration"] == 19_999  # the step ran in full, before the rest
        answers = [receive(ws) for _ in range(connection_module.INBOX_SIZE)]
        assert [(e["code"], e["field"]) for e in answers] == [
            ("out_of_range", "count")
        ] * connection_module.INBOX_SIZE
        assert step(ws)[-1]["phase"] == "forward"
