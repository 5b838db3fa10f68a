"""The gradients a backward frame within its byte budget left out, on request (`sent`): the
same as the frame without a budget carries, from the same backward; refused once the run
moved past it."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import pytest

from loopscope.server.outbox import encode
from loopscope.training.errors import CommandError
from loopscope.training.framebudget import FrameFitter, summary_of
from loopscope.training.scenarios import SCENARIOS
from loopscope.training.session import Session

from .._million import one_million


def _refused(session: Session, node: str) -> tuple[str, str | None]:
    with pytest.raises(CommandError) as exc:
        session.sent_grads(node)
    return exc.value.code, exc.value.field


def _as_fitted(unfitted: list[Any], answer: list[Any]) -> list[Any]:
    """The unfitted frame's entry in the form the answer took: in full, or its summary (a
    tensor past the cap is a summary in every frame)."""
    return [
        summary_of(g)
        if g is not None and "values" in g and a is not None and "values" not in a
        else g
        for g, a in zip(unfitted, answer, strict=True)
    ]


def test_a_left_out_nodes_gradients_are_what_the_unfitted_frame_sends() -> None:
    with patch.dict(SCENARIOS, {"charlm": one_million("transformer")}):
        ours = Session("charlm", {"device": "cpu"})
        oracle = Session("charlm", {"device": "cpu"})
        oracle.fitter = FrameFitter(budget=1 << 40)  # every value, as a small model's frame
        assert _refused(ours, "MmBackward0") == ("wrong_state", "node")
        ours.step("iteration", 1)
        oracle.step("iteration", 1)
        (backward,) = ours.step("phase", 4)
        (full,) = oracle.step("phase", 4)
        assert backward["phase"] == full["phase"] == "backward"
        left_out = backward["capture"]["left_out"]
        assert left_out and not set(left_out) & set(backward["capture"]["sent"])
        for node in left_out:
            (answer,) = ours.sent_grads(node)
            assert (answer["type"], answer["node"]) == ("sent", node)
            assert answer["iteration"] == backward["iteration"]
            assert answer["graph_id"] == backward["capture"]["graph_id"]
            unfitted = full["capture"]["sent"][node]
            assert encode(answer["sent"]) == encode(_as_fitted(unfitted, answer["sent"]))
        kept = [n for n in full["capture"]["sent"] if n not in left_out]
        assert _refused(ours, kept[0]) == ("not_found", "node")  # in the frame already
        assert _refused(ours, "NoSuchBackward0") == ("not_found", "node")
        ours.step("phase", 1)  # step: the backward is still the latest one
        assert ours.sent_grads(left_out[0])[0]["iteration"] == backward["iteration"]
        ours.step("phase", 4)  # the next backward: its own left_out, the old ones gone
        (again,) = ours.sent_grads(left_out[0])
        assert again["iteration"] == backward["iteration"] + 1


@pytest.mark.parametrize(
    "move",
    [
        lambda s: s.reset(),
        lambda s: s.rewind(0),
        lambda s: s.set({"lr": 0.01}),
        lambda s: s.step("iteration", 2),  # backwards ran, no backward frame sent
    ],
)
def test_the_run_moving_past_that_backward_refuses_it(move: Any) -> None:
    with patch.dict(SCENARIOS, {"charlm": one_million("transformer")}):
        session = Session("charlm", {"device": "cpu"})
        *_, backward = session.step("phase", 4)
        node = backward["capture"]["left_out"][0]
        session.sent_grads(node)
        move(session)
        assert _refused(session, node) == ("wrong_state", "node")
