"""What a tab is told about a traced run that only the running script can reveal: the model
(known after its first use), the phase that really runs next, iterations without a loss."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

with warnings.catch_warnings():  # it warns at import when it finds httpx (as tests/backend)
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient, WebSocketTestSession

from loopscope.config import Settings
from loopscope.protocol import EVENT_ADAPTER
from loopscope.server.app import create_app
from loopscope.server.traced import TracedRun

from ._served import write_script

Event = dict[str, Any]
# zero_grad first, and iteration 1 steps without a backward(): no loss is seen in it
SCRIPT = """
for i in range(3):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    if i != 1:
        loss.backward()
    optimizer.step()
"""


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[WebSocketTestSession]:
    run = TracedRun(str(write_script(tmp_path, SCRIPT)), [], echo=False)
    with TestClient(create_app(Settings(), traced=run)) as client:
        with client.websocket_connect("/ws") as ws:
            yield ws


def _until(ws: WebSocketTestSession, kind: str, **fields: Any) -> list[Event]:
    events: list[Event] = []
    while True:
        event: Event = orjson.loads(ws.receive_text())
        EVENT_ADAPTER.validate_python(event)
        events.append(event)
        if event["type"] == kind and all(event.get(k) == v for k, v in fields.items()):
            return events


def _step(ws: WebSocketTestSession, unit: str, count: int) -> None:
    ws.send_text(orjson.dumps({"type": "step", "unit": unit, "count": count}).decode())


def test_a_tab_connected_before_the_first_forward_gets_the_model_afterwards(
    tab: WebSocketTestSession,
) -> None:
    # (sent at start-up, then again once the child's first gate announced its phase)
    first = _until(tab, "session", next_phase="zero_grad")[-1]
    assert first["model"]["children"] == [] and first["parameters"] == []  # not known yet
    _step(tab, "iteration", 1)
    events = _until(tab, "phase", phase="step", iteration=0)
    found = _until(tab, "session")[-1]  # sent again once the model reached a backward()
    assert found["run_id"] == first["run_id"]
    assert found["model"]["cls"] == "Linear" and found["parameters"] == ["weight", "bias"]
    # what this iteration showed follows the session again (consecutive phase events may
    # coalesce on the way, the latest kept), so the page loses nothing by finding the model
    again = _until(tab, "phase", phase="step", iteration=0)[-1]
    assert again["capture"] == events[-1]["capture"] is not None


def test_next_phase_is_what_the_script_runs_next(tab: WebSocketTestSession) -> None:
    _until(tab, "session", next_phase="zero_grad")
    phases: list[Event] = []
    for _ in range(6):
        _step(tab, "phase", 1)
        # (a phase already seen comes again after the session that names the model)
        while True:
            event = _until(tab, "phase")[-1]
            if all(
                e["phase"] != event["phase"] or e["iteration"] != event["iteration"] for e in phases
            ):
                break
        phases.append(event)
    ran = [e["phase"] for e in phases]
    assert ran == ["zero_grad", "forward", "loss", "backward", "step", "zero_grad"]
    # each phase names the one after it, and the step names zero_grad, not a cycle's forward
    assert [e["next_phase"] for e in phases[:-1]] == ran[1:]


def test_an_iteration_without_a_loss_is_null(tab: WebSocketTestSession) -> None:
    _until(tab, "session")
    _step(tab, "iteration", 3)
    end = _until(tab, "end")
    losses: dict[int, Any] = {}  # a chunk may repeat iterations another one had
    for event in end:
        chunk = event if event["type"] == "losses" else event.get("losses")
        if chunk is not None:
            losses.update((chunk["first"] + k, v) for k, v in enumerate(chunk["values"]))
    assert sorted(losses) == [0, 1, 2] and losses[1] is None
    assert isinstance(losses[0], float) and isinstance(losses[2], float)
