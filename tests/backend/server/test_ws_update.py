"""The `update` command over /ws: a brief update's detail on request, refused cleanly."""

from __future__ import annotations

from unittest.mock import patch

from starlette.testclient import TestClient

from loopscope.server.app import create_app
from loopscope.training.scenarios import SCENARIOS

from .._million import one_million
from .test_ws import receive, send, settings, start, step, until

CHARLM = {"type": "start", "scenario": "charlm", "config": {"device": "cpu"}}


def test_a_brief_update_is_sent_on_request_and_a_bad_request_names_its_field() -> None:
    with (
        patch.dict(SCENARIOS, {"charlm": one_million("transformer")}),
        TestClient(create_app(settings())) as client,
        client.websocket_connect("/ws") as ws,
    ):
        start(ws, CHARLM)
        *_, event = step(ws, unit="phase", count=5)
        brief = event["capture"]["brief"]
        assert "ln_f.weight" in brief
        send(ws, {"type": "update", "name": "ln_f.weight"})
        (answer,) = until(ws, "update")
        assert (answer["name"], answer["iteration"]) == ("ln_f.weight", event["iteration"])
        assert answer["update"]["name"] == "ln_f.weight" and answer["update"]["same_bits"]
        for message, code in (
            ({"type": "update"}, "invalid_message"),
            ({"type": "update", "name": ""}, "invalid_message"),
            ({"type": "update", "name": "nope"}, "not_found"),
        ):
            send(ws, message)
            error = receive(ws)
            assert (error["type"], error["code"], error["field"]) == ("error", code, "name")


def test_a_left_out_gradient_is_sent_on_request_and_a_bad_request_names_its_field() -> None:
    with (
        patch.dict(SCENARIOS, {"charlm": one_million("transformer")}),
        TestClient(create_app(settings())) as client,
        client.websocket_connect("/ws") as ws,
    ):
        start(ws, CHARLM)
        *_, event = step(ws, unit="phase", count=4)
        node = event["capture"]["left_out"][0]
        send(ws, {"type": "sent", "node": node})
        (answer,) = until(ws, "sent")
        assert (answer["node"], answer["iteration"]) == (node, event["iteration"])
        assert answer["graph_id"] == event["capture"]["graph_id"] and answer["sent"]
        for message, code in (
            ({"type": "sent"}, "invalid_message"),
            ({"type": "sent", "node": ""}, "invalid_message"),
            ({"type": "sent", "node": "NoSuchBackward0"}, "not_found"),
        ):
            send(ws, message)
            error = receive(ws)
            assert (error["type"], error["code"], error["field"]) == ("error", code, "node")
