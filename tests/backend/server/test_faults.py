"""Faults: dropped clients, resume and its grace period, divergence, missing devices,
server shutdown, oversized messages, the run limit, the rate limit, idle connections.

Disconnects and shutdown run against a real uvicorn server in a thread (what `loopscope
serve` runs), since that is where connection teardown actually happens; the rest uses
Starlette's in-process TestClient.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
import torch
import uvicorn
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from loopscope.config import Settings
from loopscope.protocol import EVENT_ADAPTER, PHASES
from loopscope.server.app import create_app

from .._helpers import points, receive_text
from ._live import bound_socket, serving, uvicorn_server

with warnings.catch_warnings():
    # starlette.testclient warns when it finds httpx rather than httpx2 (httpx is what the
    # dev extra pins); the warning is about the test client's transport, not about loopscope.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

# Mini-batches (the shuffling generator is part of the state) and Adam (optimizer state).
START = {
    "type": "start",
    "scenario": "linear",
    "config": {"n_points": 20, "batch_size": 5, "optimizer": "adam", "lr": 0.05},
}
COUNTS = ("connections", "runs", "parked_runs", "play_tasks", "workers")


# ---------------------------------------------------------------- helpers


def _reject_constant(token: str) -> None:
    raise AssertionError(f"the server sent a bare {token} (not JSON)")


def parse(text: str | bytes) -> dict[str, Any]:
    """An event as strict JSON (no NaN/Infinity tokens), checked against the protocol."""
    event: dict[str, Any] = json.loads(text, parse_constant=_reject_constant)
    EVENT_ADAPTER.validate_python(event)
    return event


def recv(ws: WebSocketTestSession, timeout: float = 10.0) -> dict[str, Any]:
    """The next TestClient event; fails (instead of hanging) after `timeout`."""
    return parse(receive_text(ws, timeout))


def recv_close(ws: WebSocketTestSession, timeout: float = 10.0) -> WebSocketDisconnect:
    """Read until the server closes; return the close."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            recv(ws, max(0.01, deadline - time.monotonic()))
        except WebSocketDisconnect as exc:
            return exc


# Left out of run-to-run comparisons: `run_id` and `token` differ by design, `references`
# carry id() and data_ptr(); `landscape` is computed once per run with
# torch.linalg.lstsq, whose float64 `optimum` differs in its last bits now and then from
# run to run (MKL; reported to the lead, not pinned by a test since it is intermittent).
UNCOMPARED = ("run_id", "token", "references", "landscape")


def comparable(event: dict[str, Any]) -> dict[str, Any]:
    """An event without what legitimately differs between two equal runs (ids, addresses)."""
    out = {k: v for k, v in event.items() if k not in UNCOMPARED}
    capture = out.get("capture")
    if isinstance(capture, dict) and "references" in capture:
        capture = dict(capture)
        capture["references"] = [
            {k: v for k, v in ref.items() if k not in ("id", "data_ptr")}
            for ref in capture["references"]
        ]
        out["capture"] = capture
    return out


def finite(value: Any) -> bool:
    return not isinstance(value, str)


def all_values(tensors: dict[str, Any]) -> list[Any]:
    return [v for t in tensors.values() if t is not None for v in (t.get("values") or [])]


@dataclass
class Server:
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"http://127.0.0.1:{self.port}/api/health").json()
        return body

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            health = self.health()
            if predicate(health):
                return health
            if time.monotonic() > deadline:
                raise AssertionError(f"health never got there: {health}")
            time.sleep(0.02)

    def connect(self, **kwargs: Any) -> ClientConnection:
        return connect(self.ws_url, max_size=None, open_timeout=5, **kwargs)


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[Server]:
    """A real uvicorn server (as `loopscope serve` runs it) in a thread."""
    app = create_app(settings)
    sock = bound_socket()
    server = uvicorn_server(settings, app)
    with serving(server, sock) as thread:
        yield Server(app, server, thread, sock.getsockname()[1])


def ws_recv(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    return parse(ws.recv(timeout=timeout))


def ws_send(ws: ClientConnection | WebSocketTestSession, command: dict[str, Any]) -> None:
    text = json.dumps(command)
    if isinstance(ws, WebSocketTestSession):
        ws.send_text(text)
    else:
        ws.send(text)


def until_phase(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Skip a graph event; return the phase event."""
    event = read()
    if event["type"] == "graph":
        event = read()
    assert event["type"] == "phase", event
    return event


# ---------------------------------------------------------------- disconnect, resume, grace


@pytest.mark.parametrize("how", ["close", "drop"])
def test_disconnect_mid_play_parks_the_run_and_resume_continues_it(how: str) -> None:
    with running(Settings()) as srv:
        idle = srv.health()
        with srv.connect() as ws:
            ws_send(ws, START)
            session = ws_recv(ws)
            token = session["token"]
            ws_send(ws, {"type": "play", "unit": "phase", "rate": 200})
            for _ in range(8):
                ws_recv(ws)
            assert srv.health()["play_tasks"] == 1
            if how == "drop":  # the network goes away: no close frame
                ws.socket.shutdown(socket.SHUT_RDWR)
        health = srv.wait_for(lambda h: h["connections"] == 0)
        assert {k: health[k] for k in COUNTS} == {
            "connections": 0,
            "runs": 1,
            "parked_runs": 1,
            "play_tasks": 0,
            "workers": 0,
        }
        assert health["asyncio_tasks"] == idle["asyncio_tasks"]  # nothing left running
        time.sleep(0.1)  # parked means stopped: it does not go on playing meanwhile

        with srv.connect() as ws, srv.connect() as twin:
            ws_send(ws, {"type": "resume", "token": token})
            resumed = ws_recv(ws)
            assert resumed["type"] == "session"
            assert resumed["run_id"] == session["run_id"]
            assert resumed["token"] != token  # rotated: the token that was sent is spent
            assert srv.health()["parked_runs"] == 0
            phases_done = resumed["iteration"] * len(PHASES) + PHASES.index(resumed["next_phase"])
            assert phases_done >= 8

            # An uninterrupted run of the same config, brought to the same point.
            ws_send(twin, START)
            opening = ws_recv(twin)
            assert opening["type"] == "session"
            ws_send(twin, {"type": "step", "unit": "phase", "count": phases_done})
            there = until_phase(lambda: ws_recv(twin))
            # A phase event leaves out what did not change since the session the twin holds.
            assert resumed["params"] == there.get("params", opening["params"])
            assert resumed["grads"] == there.get("grads", opening["grads"])
            assert resumed["history"] == there["history"]

            # Stepping on gives the same numbers as the uninterrupted run.
            for command in (
                {"type": "step", "unit": "phase", "count": 7},
                {"type": "step", "unit": "iteration", "count": 3},
                {"type": "rewind", "iteration": 1},
                {"type": "step", "unit": "epoch", "count": 2},
            ):
                ws_send(ws, command)
                ws_send(twin, command)
                if command["type"] == "rewind":
                    ours, theirs = ws_recv(ws), ws_recv(twin)
                else:
                    ours = until_phase(lambda: ws_recv(ws))
                    theirs = until_phase(lambda: ws_recv(twin))
                assert comparable(ours) == comparable(theirs), command

            # The token was used up: a second resume finds nothing.
            ws_send(twin, {"type": "resume", "token": token})
            error = ws_recv(twin)
            assert (error["code"], error["field"]) == ("not_found", "token")


def test_parked_run_is_released_after_the_grace_period() -> None:
    # A grace period long enough to see the run parked on a busy machine, short enough to wait.
    with running(Settings(resume_grace_s=1.5)) as srv:
        with srv.connect() as ws:
            ws_send(ws, START)
            token = ws_recv(ws)["token"]
        parked_at = time.monotonic()
        health = srv.wait_for(lambda h: h["connections"] == 0)
        assert health["parked_runs"] == 1
        health = srv.wait_for(lambda h: h["parked_runs"] == 0)
        assert health["runs"] == 0
        assert time.monotonic() - parked_at >= 1.0  # released by the grace period, not at once
        with srv.connect() as ws:
            ws_send(ws, {"type": "resume", "token": token})
            error = ws_recv(ws)
            assert error["type"] == "error"
            assert (error["code"], error["field"]) == ("not_found", "token")
            ws_send(ws, START)  # still usable
            assert ws_recv(ws)["type"] == "session"


def test_resume_on_a_connection_with_a_run_replaces_it() -> None:
    with running(Settings()) as srv:
        with srv.connect() as ws:
            ws_send(ws, START)
            token = ws_recv(ws)["token"]
        srv.wait_for(lambda h: h["parked_runs"] == 1)
        with srv.connect() as ws:
            ws_send(ws, {**START, "scenario": "mlp", "config": {}})
            assert ws_recv(ws)["scenario"] == "mlp"
            ws_send(ws, {"type": "resume", "token": token})
            assert ws_recv(ws)["scenario"] == "linear"
            health = srv.health()
            assert (health["runs"], health["parked_runs"]) == (1, 0)  # the mlp run is gone


class CancelledClient:
    """Drives the ASGI app's /ws directly; the 'server' cancels the app instead of sending
    a disconnect (as Starlette's TestClient and some ASGI servers do when a client leaves)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "path": "/ws",
            "raw_path": b"/ws",
            "root_path": "",
            "scheme": "ws",
            "query_string": b"",
            "headers": [(b"host", b"testserver")],
            "server": ("testserver", 80),
            "client": ("testclient", 50000),
            "subprotocols": [],
        }

    async def run(self) -> None:
        await self.app(self.scope, self.incoming.get, self.outgoing.put)

    async def send(self, command: dict[str, Any]) -> None:
        await self.incoming.put({"type": "websocket.receive", "text": json.dumps(command)})

    async def recv(self) -> dict[str, Any]:
        message = await asyncio.wait_for(self.outgoing.get(), 10)
        assert message["type"] == "websocket.send", message
        return parse(message["text"])

    async def open_and_play(self) -> str:
        await self.incoming.put({"type": "websocket.connect"})
        assert (await asyncio.wait_for(self.outgoing.get(), 10))["type"] == "websocket.accept"
        await self.send(START)
        token: str = (await self.recv())["token"]
        await self.send({"type": "play", "rate": 100})
        await self.recv()
        return token


def assert_released_and_parked(app: FastAPI, token: str) -> None:
    stats = app.state.stats
    counts = {k: getattr(stats, k) for k in ("connections", "workers", "play_tasks", "runs")}
    assert counts == {"connections": 0, "workers": 0, "play_tasks": 0, "runs": 1}
    assert stats.parked == 1
    assert stats.claim(token) is not None


async def test_cleanup_survives_an_asyncio_cancelled_connection_task() -> None:
    app = create_app(Settings())
    client = CancelledClient(app)
    task = asyncio.create_task(client.run())
    token = await client.open_and_play()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert_released_and_parked(app, token)


async def test_cleanup_survives_an_anyio_cancel_scope() -> None:
    app = create_app(Settings())
    client = CancelledClient(app)
    scope = anyio.CancelScope()

    async def run() -> None:
        with scope:
            await client.run()

    task = asyncio.create_task(run())
    token = await client.open_and_play()
    scope.cancel()
    await asyncio.wait_for(task, 10)
    deadline = time.monotonic() + 5
    while app.state.stats.connections and time.monotonic() < deadline:
        await asyncio.sleep(0.01)  # the release may still be finishing in its own task
    assert_released_and_parked(app, token)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ({"type": "rewind", "iteration": 10**6}, "out_of_range"),
        ({"type": "play", "rate": 9999}, "out_of_range"),
        ({"type": "set", "momentum": 0.5}, "invalid_message"),
        ({"type": "start", "config": {"lr": -1}}, "invalid_config"),
        ({"type": "resume", "token": "nope"}, "not_found"),
        ({"type": "step", "count": 0}, "out_of_range"),
        ({"type": "step", "count": "one"}, "invalid_message"),
    ],
)
def test_a_refused_command_does_not_stop_play(command: dict[str, Any], code: str) -> None:
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as ws:
        ws_send(ws, START)
        assert recv(ws)["type"] == "session"
        ws_send(ws, {"type": "play", "unit": "phase", "rate": 40})
        assert recv(ws)["type"] == "play_state"
        until_phase(lambda: recv(ws))
        ws_send(ws, command)
        while (event := recv(ws))["type"] != "error":
            pass
        assert event["code"] == code
        # Still playing: phase events keep coming (40 a second).
        assert until_phase(lambda: recv(ws, timeout=1.0))["type"] == "phase"
        assert until_phase(lambda: recv(ws, timeout=1.0))["type"] == "phase"


# ---------------------------------------------------------------- divergence, devices


def test_divergence_is_reported_and_reset_recovers() -> None:
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as ws:
        ws_send(ws, {"type": "start", "scenario": "linear", "config": {"lr": 0.5}})
        assert recv(ws)["type"] == "session"
        ws_send(ws, {"type": "step", "unit": "epoch", "count": 200})
        event = until_phase(lambda: recv(ws))  # recv parses strictly: no bare NaN tokens
        assert event["diverged"] is True
        assert event["loss"] in ("NaN", "Infinity", "-Infinity")
        assert any(p["loss"] in ("NaN", "Infinity") for p in points(event))
        assert all(isinstance(p["loss"], float | str) for p in points(event))
        assert not all(map(finite, all_values(event["params"])))

        # It keeps answering while diverged.
        ws_send(ws, {"type": "step"})
        assert until_phase(lambda: recv(ws))["diverged"] is True

        ws_send(ws, {"type": "reset"})
        session = recv(ws)
        assert session["type"] == "session"
        assert (session["iteration"], session["next_phase"]) == (0, "forward")
        assert all(map(finite, all_values(session["params"])))
        ws_send(ws, {"type": "step", "unit": "iteration", "count": 1})
        event = until_phase(lambda: recv(ws))
        assert event["diverged"] is False
        assert isinstance(event["loss"], float) and finite(event["loss"])

        # Rewind also brings a diverged run back.
        ws_send(ws, {"type": "step", "unit": "epoch", "count": 200})
        assert until_phase(lambda: recv(ws))["diverged"] is True
        ws_send(ws, {"type": "rewind", "iteration": 1})
        assert all(map(finite, all_values(recv(ws)["params"])))
        ws_send(ws, {"type": "step", "unit": "iteration", "count": 1})
        assert until_phase(lambda: recv(ws))["diverged"] is False


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_on_a_cpu_machine_is_device_unavailable(device: str) -> None:
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as ws:
        ws_send(ws, {"type": "start", "config": {"device": device}})
        error = recv(ws)
        assert error["type"] == "error"
        assert (error["code"], error["field"]) == ("device_unavailable", "config.device")
        ws_send(ws, {"type": "start", "config": {"device": "cpu"}})
        session = recv(ws)
        assert (session["type"], session["device"]) == ("session", "cpu")
        ws_send(ws, {"type": "step"})
        assert until_phase(lambda: recv(ws))["phase"] == "forward"


def test_freezing_every_parameter_is_not_an_internal_error() -> None:
    with TestClient(create_app(Settings())) as client, client.websocket_connect("/ws") as ws:
        frozen = ["linear.weight", "linear.bias"]
        ws_send(ws, {"type": "start", "config": {"frozen": frozen}})
        first = recv(ws)
        if first["type"] == "error":  # refused up front: fine, if it names the field
            assert (first["code"], first["field"][:13]) == ("invalid_config", "config.frozen")
            return
        ws_send(ws, {"type": "step", "unit": "iteration", "count": 2})
        event = until_phase(lambda: recv(ws))
        assert event["iteration"] == 1


# ---------------------------------------------------------------- shutdown


def test_shutdown_closes_open_sockets_cleanly() -> None:
    with running(Settings()) as srv:
        with srv.connect() as idle, srv.connect() as playing:
            for ws in (idle, playing):
                ws_send(ws, START)
                assert ws_recv(ws)["type"] == "session"
            ws_send(playing, {"type": "play", "rate": 100})
            ws_recv(playing)
            srv.server.should_exit = True
            for ws in (idle, playing):
                with pytest.raises(ConnectionClosed) as closed:
                    while True:
                        ws.recv(timeout=10)
                assert closed.value.rcvd is not None, "dropped without a close frame"
                assert closed.value.rcvd.code in (1001, 1012)
            srv.thread.join(10)
            assert not srv.thread.is_alive()
    stats = srv.app.state.stats
    assert (stats.connections, stats.workers, stats.play_tasks, stats.runs) == (0, 0, 0, 0)


# ---------------------------------------------------------------- message size


def test_message_over_the_limit_closes_1009() -> None:
    settings = Settings(max_message_bytes=1024)
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect("/ws") as ws:
            under = json.dumps({"type": "step", "unit": "x" * 1000})[:1024]
            ws.send_text(under[:-2] + '"}')
            assert recv(ws)["field"] == "unit"
            ws.send_text(json.dumps({"type": "step", "unit": "x" * 1000}).ljust(1025))
            assert recv_close(ws).code == 1009


def test_message_over_the_limit_closes_1009_on_a_real_server() -> None:
    with running(Settings()) as srv, srv.connect() as ws:
        ws.send(json.dumps({"type": "step", "unit": "x" * 200_000}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_multibyte_message_over_the_byte_limit_closes_1009() -> None:
    settings = Settings(max_message_bytes=1024)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws") as ws:
        text = json.dumps({"type": "step", "unit": "€" * 900}, ensure_ascii=False)
        assert len(text) < 1024 < len(text.encode())  # 3 bytes a character
        ws.send_text(text)
        with pytest.raises(WebSocketDisconnect) as closed:
            recv(ws, timeout=2)
        assert closed.value.code == 1009


def test_binary_message_over_the_limit_closes_1009() -> None:
    settings = Settings(max_message_bytes=1024)
    with TestClient(create_app(settings)) as client, client.websocket_connect("/ws") as ws:
        ws.send_bytes(b"\0" * 5000)
        with pytest.raises(WebSocketDisconnect) as closed:
            recv(ws, timeout=2)
        assert closed.value.code == 1009


# ---------------------------------------------------------------- run limit


def test_beyond_max_runs_a_connection_is_refused_with_1013() -> None:
    with TestClient(create_app(Settings(max_runs=2))) as client:
        with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
            for ws in (a, b):
                ws_send(ws, START)
                assert recv(ws)["type"] == "session"
            with client.websocket_connect("/ws") as c:
                error = recv(c)
                assert (error["type"], error["code"]) == ("error", "too_many_runs")
                assert recv_close(c).code == 1013
            # The two admitted runs are unaffected.
            ws_send(a, {"type": "step"})
            assert until_phase(lambda: recv(a))["phase"] == "forward"


def test_a_released_run_slot_admits_a_new_connection() -> None:
    with running(Settings(max_runs=1, resume_grace_s=0)) as srv:
        with srv.connect() as ws:
            ws_send(ws, START)
            assert ws_recv(ws)["type"] == "session"
        srv.wait_for(lambda h: h["runs"] == 0)
        with srv.connect() as ws:
            ws_send(ws, START)
            assert ws_recv(ws)["type"] == "session"


def test_at_max_runs_a_learner_can_still_resume_a_parked_run() -> None:
    """Parked runs count towards max_runs for a new `start`, not against reconnecting:
    the learner whose run is parked gets back in and resumes it."""
    with running(Settings(max_runs=2)) as srv, srv.connect() as a:
        ws_send(a, START)
        assert ws_recv(a)["type"] == "session"
        with srv.connect() as b:
            ws_send(b, START)
            token = ws_recv(b)["token"]
            ws_send(b, {"type": "step", "unit": "iteration", "count": 3})
            before = until_phase(lambda: ws_recv(b))
        srv.wait_for(lambda h: h["runs"] == 2 and h["parked_runs"] == 1)
        with srv.connect() as newcomer:  # a new run is refused: the limit holds
            ws_send(newcomer, START)
            assert ws_recv(newcomer)["code"] == "too_many_runs"
        srv.wait_for(lambda h: h["connections"] == 1)
        with srv.connect() as back:
            ws_send(back, {"type": "resume", "token": token})
            resumed = ws_recv(back)
            assert resumed["type"] == "session", resumed
            assert resumed["iteration"] == 3
            assert resumed["params"] == before["params"]
        assert srv.health()["runs"] <= 2


def test_max_runs_holds_when_connections_start_later() -> None:
    with TestClient(create_app(Settings(max_runs=2))) as client:
        with contextlib.ExitStack() as stack:
            sockets = [stack.enter_context(client.websocket_connect("/ws")) for _ in range(3)]
            started = 0
            for ws in sockets:
                ws_send(ws, START)
                try:
                    event = recv(ws)
                except WebSocketDisconnect:
                    continue
                if event["type"] == "session":
                    started += 1
                else:
                    assert event["code"] == "too_many_runs"
            assert started <= 2
            assert client.get("/api/health").json()["runs"] <= 2


# ---------------------------------------------------------------- rate limit, idle timeout


def test_rate_limit_refuses_then_recovers() -> None:
    with TestClient(create_app(Settings(commands_per_second=5))) as client:
        with client.websocket_connect("/ws") as ws:
            ws_send(ws, START)
            assert recv(ws)["type"] == "session"
            time.sleep(1.1)  # a full bucket again
            for _ in range(20):
                ws_send(ws, {"type": "step"})
            ran, limited = [], []
            while len(ran) + len(limited) < 20:  # one answer per step (and one graph event)
                event = recv(ws)
                if event["type"] == "phase":
                    ran.append(event)
                elif event["type"] == "error":
                    limited.append(event)
            assert all(e["code"] == "rate_limited" for e in limited)
            assert 4 <= len(ran) <= 6 and len(limited) >= 14
            time.sleep(0.5)
            # A refused command changed nothing: the next step follows the ones that ran.
            ws_send(ws, {"type": "step"})
            event = until_phase(lambda: recv(ws))
            assert event["iteration"] * len(PHASES) + PHASES.index(event["phase"]) == len(ran)


def test_rate_limit_covers_binary_frames() -> None:
    with TestClient(create_app(Settings(commands_per_second=5))) as client:
        with client.websocket_connect("/ws") as ws:
            for _ in range(20):
                ws.send_bytes(b"\0")
            codes = [recv(ws)["code"] for _ in range(20)]
            assert codes.count("rate_limited") >= 10


def test_idle_connection_is_closed() -> None:
    with TestClient(create_app(Settings(idle_timeout_s=0.3))) as client:
        with client.websocket_connect("/ws") as ws:
            began = time.monotonic()
            closed = recv_close(ws, timeout=5)
            assert (closed.code, closed.reason) == (1000, "idle timeout")
            assert 0.25 < time.monotonic() - began < 3


def test_a_playing_connection_is_not_idle() -> None:
    """Play (or a long command) keeps a connection that sends nothing alive; once it
    stops, the idle timeout applies again."""
    with TestClient(create_app(Settings(idle_timeout_s=0.3))) as client:
        with client.websocket_connect("/ws") as ws:
            ws_send(ws, START)
            assert recv(ws)["type"] == "session"
            ws_send(ws, {"type": "play", "unit": "phase", "rate": 20})
            began = time.monotonic()
            phases = 0
            while time.monotonic() - began < 1.2:  # four idle timeouts long
                if recv(ws, timeout=2)["type"] == "phase":
                    phases += 1
            assert phases >= 5
            ws_send(ws, {"type": "pause"})
            assert recv_close(ws, timeout=5).code == 1000


def test_commands_keep_a_connection_alive() -> None:
    with TestClient(create_app(Settings(idle_timeout_s=1.0))) as client:
        with client.websocket_connect("/ws") as ws:
            for _ in range(6):  # 1.5 s in all, never 1 s quiet
                time.sleep(0.25)
                ws_send(ws, {"type": "step"})
                assert recv(ws)["code"] == "wrong_state"
            assert recv_close(ws, timeout=5).code == 1000
