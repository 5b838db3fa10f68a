"""`loopscope trace` on /ws: a real traced script driven through the websocket, as the page does."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import orjson
import pytest
import torch

with warnings.catch_warnings():  # it warns at import when it finds httpx (as tests/backend)
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient, WebSocketTestSession

from loopscope.config import Settings
from loopscope.protocol import EVENT_ADAPTER
from loopscope.server.app import create_app
from loopscope.server.traced import TracedRun

from ._drive import SCRIPTS

Event = dict[str, Any]


# Every wait has a limit: a traced script runs in a child process, and an event that never
# comes must fail the test with what it waited for, not hang the suite.
RECEIVE_TIMEOUT_S = 60.0
UNTIL_TIMEOUT_S = 240.0


def receive(ws: WebSocketTestSession, timeout: float = RECEIVE_TIMEOUT_S) -> Event:
    """The next event, validated against the protocol (every frame the page gets)."""

    async def take() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    try:
        message = ws.portal.call(take)
    except TimeoutError:
        pytest.fail(f"no event from /ws within {timeout:.0f} s")
    ws._raise_on_close(message)
    event: Event = orjson.loads(message["text"])
    EVENT_ADAPTER.validate_python(event)
    return event


def until(
    ws: WebSocketTestSession, done: Callable[[Event], bool], timeout: float = UNTIL_TIMEOUT_S
) -> list[Event]:
    """Events up to and including the first for which `done` holds."""
    events: list[Event] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            seen = [e["type"] + (f":{e['phase']}" if e["type"] == "phase" else "") for e in events]
            pytest.fail(f"the awaited event did not come within {timeout:.0f} s; got {seen[-20:]}")
        events.append(receive(ws, min(left, RECEIVE_TIMEOUT_S)))
        if done(events[-1]):
            return events


def send(ws: WebSocketTestSession, **command: Any) -> None:
    ws.send_text(orjson.dumps(command).decode())


@pytest.fixture
def traced() -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(script: str, *args: str) -> TestClient:
        run = TracedRun(str(SCRIPTS / script), args, echo=False)
        client = TestClient(create_app(Settings(), traced=run))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def line_of(script: str, text: str) -> int:
    """The 1-based line of the script's loop where `text` is."""
    lines = (SCRIPTS / script).read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line and "    " in line)


def is_type(kind: str) -> Callable[[Event], bool]:
    return lambda e: e["type"] == kind


def test_linear_regression_first_update_has_the_notes_numbers(traced: Any) -> None:
    client = traced("linear_regression.py")
    with client.websocket_connect("/ws") as ws:
        session = until(ws, is_type("session"))[-1]  # without a `start`
        assert session["capabilities"]["source"] == "trace"
        assert session["capabilities"]["rewind"] is False
        assert session["source"]["lines"][0].startswith('"""The notes')
        send(ws, type="step", unit="iteration", count=1)
        # The model is found in the first iteration: the session is sent again with its tree,
        # then what this iteration showed so far (the page's frame starts afresh at a session).
        events = until(ws, lambda e: e["type"] == "session" and e["parameters"] != [])
        session = events[-1]
        assert session["model"]["children"][0]["name"] == "linear"
        assert session["parameters"] == ["linear.weight", "linear.bias"]
        assert session["optimizer"]["cls"] == "SGD"
        again = until(ws, lambda e: e["type"] == "phase" and e["phase"] == "step")
        assert [e["type"] for e in again][:2] == ["graph", "losses"]
        step = again[-1]
        assert step == [e for e in events if e["type"] == "phase"][-1]
        assert step["trace"]["what"] == "SGD.step"
        assert step["trace"]["location"]["line"] == line_of(
            "linear_regression.py", "optimizer.step()"
        )
        update = {u["name"]: u for u in step["capture"]["updates"]}["linear.weight"]
        assert update["grad"]["values"][0] == pytest.approx(-143.5077, abs=1e-4)
        assert update["before"]["values"][0] == pytest.approx(0.1447, abs=1e-4)
        assert update["after"]["values"][0] == pytest.approx(1.5797, abs=1e-4)
        # torch is the oracle: w - lr * grad, in float32, is what the page was sent
        w, g = (torch.tensor(update[k]["values"]) for k in ("before", "grad"))
        assert torch.equal(w - 0.01 * g, torch.tensor(update["after"]["values"]))
        assert step["params"]["linear.weight"] == update["after"]


def test_phases_output_and_end(traced: Any) -> None:
    client = traced("linear_regression.py")
    with client.websocket_connect("/ws") as ws:
        until(ws, is_type("session"))
        seen = []
        for _ in range(5):
            send(ws, type="step", unit="phase", count=1)
            # (a phase may come twice: again after the session that names the model found)
            done = {e["phase"] for e in seen}
            new = until(ws, lambda e, done=done: e["type"] == "phase" and e["phase"] not in done)
            seen.append(new[-1])
        assert [e["phase"] for e in seen] == ["forward", "loss", "zero_grad", "backward", "step"]
        calls = ["model(x_train)", "criterion(", "zero_grad()", "backward()", "optimizer.step()"]
        lines = [line_of("linear_regression.py", call) for call in calls]
        assert [e["trace"]["location"]["line"] for e in seen] == lines
        send(ws, type="step", unit="iteration", count=5000)
        events = until(ws, is_type("end"))
        lines = [e["text"] for e in events if e["type"] == "output"]
        assert lines[0].startswith("Epoch [100/1000], Loss:")
        assert len(lines) == 10
        end = events[-1]
        assert (end["status"], end["exit_code"]) == ("finished", 0)
        chunks = [e for e in events if e["type"] == "losses"]
        losses = {c["first"] + k: v for c in chunks for k, v in enumerate(c["values"])}
        assert sorted(losses) == list(range(1000))  # every iteration's loss reached the page
        send(ws, type="step", unit="phase", count=1)
        error = until(ws, is_type("error"))[-1]
        assert (error["code"], error["field"]) == ("wrong_state", "type")


@pytest.mark.parametrize("command", ["start", "rewind", "set", "resume", "tensor", "sent"])
def test_refused_commands_name_the_type(traced: Any, command: str) -> None:
    bodies: dict[str, Event] = {
        "start": {"scenario": "linear"},
        "rewind": {"iteration": 0},
        "set": {"lr": 0.1},
        "resume": {"token": "x"},
        "tensor": {"name": "linear.weight"},
        "sent": {"node": "AddmmBackward0"},
    }
    client = traced("linear_regression.py")
    with client.websocket_connect("/ws") as ws:
        until(ws, is_type("session"))
        send(ws, type=command, **bodies[command])
        error = until(ws, is_type("error"))[-1]
        assert (error["code"], error["field"]) == ("wrong_state", "type")
        assert command in error["message"]
        send(ws, type="step", unit="epoch", count=1)
        error = until(ws, is_type("error"))[-1]
        assert error["field"] == "unit"


def test_two_tabs_watch_one_run_and_either_drives_it(traced: Any) -> None:
    client = traced("linear_regression.py")
    with client.websocket_connect("/ws") as one:
        until(one, is_type("session"))
        send(one, type="step", unit="iteration", count=3)
        until(one, lambda e: e["type"] == "session" and e["parameters"] != [])
        until(one, lambda e: e["type"] == "phase" and e["phase"] == "step")
        with client.websocket_connect("/ws") as two:
            # The late tab sees the run so far: its session, the graph, the losses.
            replay = until(two, is_type("play_state"))
            kinds = [e["type"] for e in replay]
            assert kinds[:3] == ["session", "graph", "losses"]
            assert replay[0]["parameters"] == ["linear.weight", "linear.bias"]
            assert replay[2]["values"][:2] and replay[2]["first"] == 0
            send(two, type="step", unit="phase", count=1)
            mine = until(two, is_type("phase"))[-1]
            theirs = until(one, lambda e: e["type"] == "phase" and e["phase"] == "forward")[-1]
            assert mine == theirs
            assert (mine["phase"], mine["iteration"]) == ("forward", 3)


def test_reset_runs_the_script_again_from_the_top(traced: Any) -> None:
    client = traced("linear_regression.py")
    with client.websocket_connect("/ws") as ws:
        first = until(ws, is_type("session"))[-1]
        send(ws, type="step", unit="iteration", count=2)
        until(ws, lambda e: e["type"] == "phase" and e["phase"] == "step")
        send(ws, type="reset")
        assert until(ws, is_type("end"))[-1]["status"] == "stopped"
        again = until(ws, is_type("session"))[-1]
        assert again["run_id"] != first["run_id"]
        assert again["iteration"] == 0
        send(ws, type="step", unit="phase", count=1)
        phase = until(ws, is_type("phase"))[-1]
        assert (phase["phase"], phase["iteration"]) == ("forward", 0)


def test_play_and_pause(traced: Any) -> None:
    client = traced("linear_regression.py")
    with client.websocket_connect("/ws") as ws:
        until(ws, is_type("session"))
        send(ws, type="play", unit="iteration", rate=50)
        assert until(ws, lambda e: e["type"] == "play_state" and e["playing"])
        assert until(ws, lambda e: e["type"] == "phase" and e["iteration"] >= 3)
        send(ws, type="pause")
        state = until(ws, lambda e: e["type"] == "play_state")[-1]
        assert (state["playing"], state["reason"]) == (False, "paused")


def test_a_failing_script_ends_with_its_traceback(traced: Any) -> None:
    client = traced("raises_midway.py")
    with client.websocket_connect("/ws") as ws:
        until(ws, is_type("session"))
        send(ws, type="step", unit="iteration", count=100_000)
        end = until(ws, is_type("end"))[-1]
        assert end["status"] == "failed" and end["exit_code"] == 1
        assert "Traceback" in end["traceback"]


def test_the_page_of_a_traced_run_is_marked_so_it_asks_for_no_run(traced: Any) -> None:
    """The page sends no `start` for a traced script (it would be refused): the server marks
    the page it serves; a built-in run's page carries no mark."""
    client = traced("linear_regression.py")
    for path in ("/", "/index.html"):
        page = client.get(path)
        assert page.status_code == 200
        assert '<meta name="loopscope-source" content="trace">' in page.text
    with TestClient(create_app(Settings())) as plain:
        assert "loopscope-source" not in plain.get("/").text


def test_char_lm_phase_by_phase_then_to_its_end(traced: Any) -> None:
    """A model that returns (logits, loss), evaluated under no_grad at iteration 0 and
    sampled after training: stepped phase by phase, then run to its end."""
    client = traced("char_lm.py")
    with client.websocket_connect("/ws") as ws:
        until(ws, is_type("session"))
        seen: list[Event] = []
        for _ in range(5):
            send(ws, type="step", unit="phase", count=1)
            seen.append(until(ws, is_type("phase"))[-1])
        phases = [e["phase"] for e in seen]
        assert phases[0] == "forward" and seen[0]["loss"] is not None, phases
        # from the loss on, every phase event of the iteration carries its loss
        assert all(e["loss"] == seen[0]["loss"] for e in seen), phases
        send(ws, type="step", unit="iteration", count=100_000)
        events = until(ws, is_type("end"))
        end = events[-1]
        assert (end["status"], end["exit_code"]) == ("finished", 0)
        assert end["summary"]["iterations"] == 60
        assert end["summary"]["evaluation_calls"] > 0
        printed = [e["text"] for e in events if e["type"] == "output"]
        assert any(p.startswith("step 59: train loss") for p in printed), printed
