"""The `tensor` command over /ws: answered while stepping and while playing, refused cleanly."""

from __future__ import annotations

from typing import Any

import torch
from starlette.testclient import TestClient

from loopscope.server.app import create_app

from .._helpers import decode
from .test_ws import receive, send, settings, start, step, until

CHARLM = {"type": "start", "scenario": "charlm", "config": {"device": "cpu"}}


def tensor_event(ws: Any) -> dict[str, Any]:
    """Events up to the next `tensor` one (phase events of a playing run are skipped)."""
    return until(ws, "tensor")[-1]


def test_the_tensor_of_the_run_now_while_stepping_and_playing() -> None:
    with TestClient(create_app(settings())) as client, client.websocket_connect("/ws") as ws:
        start(ws, CHARLM)
        step(ws, unit="iteration", count=2)
        send(ws, {"type": "tensor", "name": "lm_head.weight", "kind": "state", "key": "exp_avg"})
        event = tensor_event(ws)
        assert (event["iteration"], event["next_phase"]) == (2, "forward")
        assert event["value"]["shape"] == [1015, 32] and "values" in event["value"]
        first = decode(event["value"])
        send(ws, {"type": "play", "unit": "phase", "rate": 200})
        send(ws, {"type": "tensor", "name": "lm_head.weight"})
        event = tensor_event(ws)  # answered between two phases of the playing run
        assert event["kind"] == "value" and event["iteration"] >= 2
        assert decode(event["value"]).shape == first.shape
        send(ws, {"type": "pause"})
        send(ws, {"type": "tensor", "name": "lm_head.weight"})
        paused = tensor_event(ws)
        send(ws, {"type": "tensor", "name": "lm_head.weight"})
        again = tensor_event(ws)
        assert torch.equal(decode(paused["value"]), decode(again["value"]))  # nothing moved


def test_bad_tensor_commands_name_their_field() -> None:
    with TestClient(create_app(settings())) as client, client.websocket_connect("/ws") as ws:
        send(ws, {"type": "tensor", "name": "w"})
        assert receive(ws)["code"] == "wrong_state"  # no run yet
        start(ws, CHARLM)
        for message, code, field in [
            ({"type": "tensor", "name": "nope"}, "not_found", "name"),
            ({"type": "tensor", "name": ""}, "invalid_message", "name"),
            ({"type": "tensor", "name": "lm_head.bias", "kind": "all"}, "invalid_message", "kind"),
            ({"type": "tensor", "name": "lm_head.bias", "kind": "state"}, "invalid_message", "key"),
        ]:
            send(ws, message)
            error = receive(ws)
            assert (error["type"], error["code"], error["field"]) == ("error", code, field), error
