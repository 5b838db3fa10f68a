"""Bytes per frame: what a phase event leaves out (unchanged, or within the frame budget) is
what the client already holds or can ask for; torch is the oracle for every value it ends
up holding."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
import torch

from loopscope.capture.values import decode_float, tensor_value
from loopscope.server.outbox import Outbox, encode
from loopscope.training.errors import CommandError
from loopscope.training.framebudget import FEW_TENSORS, FRAME_BUDGET, FrameFitter, summary_of
from loopscope.training.scenarios import SCENARIOS
from loopscope.training.session import Session

from .._helpers import make_session
from .._million import one_million

SESSION_BUDGET = 256 * 1024


def values_of(value: dict[str, Any]) -> torch.Tensor:
    """A TensorValue sent in full, as the float32 tensor it stands for."""
    raw = value["values"]
    numbers = raw if isinstance(raw, np.ndarray) else [decode_float(v) for v in raw]
    return torch.tensor(np.asarray(numbers, dtype=np.float32)).reshape(value["shape"])


class Client:
    """What a page holds: the params and grads of the last event that carried them."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}

    def take(self, event: dict[str, Any]) -> None:
        if event["type"] in ("session", "phase"):
            self.params = event.get("params", self.params)
            self.grads = event.get("grads", self.grads)

    def check(self, session: Session) -> None:
        """Every value held is torch's, bit for bit (full values: no model here is budgeted)."""
        for name, param in session.stepper.params.items():
            assert torch.equal(values_of(self.params[name]), param.detach()), name
            grad = self.grads[name]
            assert (grad is None) == (param.grad is None), name
            assert grad is None or torch.equal(values_of(grad), param.grad), name


def through_outbox(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as a reader that fell behind gets them: consecutive phase events coalesced."""
    outbox = Outbox(1 << 30)
    outbox.put(events)
    return outbox.take_all()


@pytest.mark.parametrize("scenario", ["linear", "mlp"])
def test_phase_events_leave_out_what_did_not_change(scenario: str) -> None:
    session = make_session(scenario, n_points=12, batch_size=4, optimizer="adam")
    client = Client()
    client.take(session.session_event())
    left_out = 0
    for _ in range(12):
        for event in session.step("phase", 1):
            left_out += ("params" not in event) + ("grads" not in event)
            client.take(event)
            client.check(session)
    assert left_out > 0  # forward, loss and zero_grad leave params out; step leaves grads


@pytest.mark.parametrize("scenario", ["linear", "mlp"])
def test_coalesced_rewound_and_set_runs_leave_the_client_holding_torchs_values(
    scenario: str,
) -> None:
    """Phase events dropped by the outbox hand what they carried to the one replacing them;
    a rewind, a reset and a `set` send the session (all of it) again."""
    session = make_session(scenario, n_points=12, batch_size=4, optimizer="adam")
    client = Client()
    client.take(session.session_event())
    pending: list[dict[str, Any]] = []
    dropped = 0
    moves: Iterator[tuple[str, Any]] = iter(
        [("phase", 3), ("phase", 1), ("phase", 4), ("rewind", 1), ("phase", 2), ("set", 0.01)]
        + [("phase", 1), ("phase", 5), ("phase", 2), ("reset", None), ("phase", 7)]
        + [("iteration", 2), ("phase", 3), ("rewind", 2), ("phase", 4)]
    )
    for move, arg in moves:
        if move == "phase":  # several one-phase steps whose events wait in the outbox
            for _ in range(arg):
                pending += session.step("phase", 1)
        elif move == "iteration":
            pending += session.step("iteration", arg)
        elif move == "rewind":
            pending += session.rewind(arg)
        elif move == "set":
            pending += session.set({"lr": arg})
        else:
            pending += session.reset()
        coalesced = through_outbox(pending)
        dropped += len(pending) - len(coalesced)
        for event in coalesced:
            client.take(event)
        pending = []
        client.check(session)
    assert dropped > 0


def test_a_dropped_events_tensors_go_to_the_one_replacing_it() -> None:
    session = make_session("linear", n_points=5)
    backward = [e for e in session.step("phase", 4) if e["type"] == "phase"][0]
    assert backward["phase"] == "backward" and "grads" in backward and "params" not in backward
    (step,) = session.step("phase", 1)
    (forward,) = session.step("phase", 1)
    assert "grads" not in forward and "params" not in forward
    outbox = Outbox(1 << 20)
    outbox.put([backward, step, forward])
    (merged,) = outbox.take_all()
    assert merged["phase"] == "forward"
    assert merged["params"] is step["params"] and merged["grads"] is backward["grads"]
    assert "params" not in forward  # the event given to the outbox is not changed
    frame = asyncio.run(_first_frame([backward, forward]))
    assert b'"grads"' in frame


async def _first_frame(events: list[dict[str, Any]]) -> bytes:
    outbox = Outbox(1 << 20)
    outbox.put(events)
    return await outbox.get()


def _million_frames(kind: str, iterations: int) -> Iterator[tuple[Session, dict[str, Any]]]:
    with patch.dict(SCENARIOS, {"charlm": one_million(kind)}):
        session = Session("charlm", {"device": "cpu"})
        yield session, session.session_event()
        for _ in range(iterations * 5):
            for event in session.step("phase", 1):
                yield session, event


@pytest.mark.parametrize("kind", ["bigram", "transformer"])
def test_frames_of_a_million_parameters_fit_the_budget(kind: str) -> None:
    phases = set()
    frames = list(_million_frames(kind, 3))
    for _, event in frames:
        size = len(encode(event))
        if event["type"] == "session":
            assert size <= SESSION_BUDGET
        elif event["type"] == "phase":
            assert size <= FRAME_BUDGET, (event["phase"], size)
            phases.add(event["phase"])
    assert len(phases) == 5
    session = frames[-1][0]
    n = sum(p.numel() for p in session.stepper.params.values())
    assert 1_000_000 < n < 1_100_000
    assert (len(session.stepper.params) > FEW_TENSORS) == (kind == "transformer")


def test_the_transformers_step_lists_its_brief_updates_and_sends_each_on_request() -> None:
    with patch.dict(SCENARIOS, {"charlm": one_million("transformer")}):
        ours = Session("charlm", {"device": "cpu"})
        oracle = Session("charlm", {"device": "cpu"})
        oracle.stepper.step_detail = None  # every update replayed and sent, as a small model's
        with pytest.raises(CommandError) as exc:
            ours.update("blocks.0.ln1.bias")
        assert (exc.value.code, exc.value.field) == ("wrong_state", "name")
        for _ in range(2):
            ours.step("iteration", 1)
            oracle.step("iteration", 1)
        (step,) = ours.step("phase", 5)
        oracle.step("phase", 5)
        brief = step["capture"]["brief"]
        assert oracle.stepper.last_step is not None
        expected = oracle.stepper.last_step[1].updates
        assert set(brief) | {u["name"] for u in step["capture"]["updates"]} == set(expected)
        params = ours.stepper.params
        for name in ("blocks.0.ln1.bias", "blocks.1.mlp.0.bias", "lm_head.weight"):
            assert name in brief
            (answer,) = ours.update(name)
            assert answer["iteration"] == step["iteration"]
            update = answer["update"]
            assert encode(update) == encode(expected[name])  # as if the frame had carried it
            assert update["same_bits"] is True
            if "values" in update["after"]:
                assert torch.equal(values_of(update["after"]), params[name].detach())
                assert torch.equal(values_of(update["grad"]), params[name].grad)
        with pytest.raises(CommandError) as exc:
            ours.update("no.such")
        assert (exc.value.code, exc.value.field) == ("not_found", "name")
        ours.step("phase", 3)  # forward, loss, zero_grad: the .grad that step read is gone
        with pytest.raises(CommandError) as exc:
            ours.update("blocks.1.ln2.weight")
        assert (exc.value.code, exc.value.field) == ("wrong_state", "name")
        # The parameter answered last is replayed with the next captured step.
        ours.step("phase", 2)
        assert ours.stepper.last_step is not None
        assert list(ours.stepper.last_step[1].updates) == ["lm_head.weight"]


def test_a_rewind_forgets_the_step_whose_detail_could_be_asked_for() -> None:
    with patch.dict(SCENARIOS, {"charlm": one_million("transformer")}):
        session = Session("charlm", {"device": "cpu"})
        session.step("phase", 5)
        session.rewind(0)
        with pytest.raises(CommandError) as exc:
            session.update("ln_f.bias")
        assert (exc.value.code, exc.value.field) == ("wrong_state", "name")


def test_a_summary_made_from_sent_values_is_the_summary_of_the_tensor() -> None:
    torch.manual_seed(0)
    for tensor in (
        torch.randn(168),
        torch.randn(8, 168) * 1e-3,
        torch.tensor([1.0, float("nan"), -2.0, float("inf")]),
        torch.arange(300, dtype=torch.int64),
    ):
        assert encode(summary_of(tensor_value(tensor))) == encode(tensor_value(tensor, cap=0))


def test_the_fitter_remembers_the_summaries_of_its_last_frames() -> None:
    fitter = FrameFitter(budget=1024)
    grads = {name: tensor_value(torch.randn(168)) for name in ("a", "b")}
    frame: Any = {"type": "phase", "phase": "zero_grad", "capture": {"before": grads}}
    first, again = fitter.fit(frame), fitter.fit(frame)
    before, later = first["capture"]["before"], again["capture"]["before"]
    assert all("summary" in before[n] and later[n] is before[n] for n in grads)
    assert all(encode(before[n]) == encode(summary_of(grads[n])) for n in grads)
    for _ in range(fitter.keep):  # forgotten after `keep` frames without it
        fitter.fit({"type": "phase", "phase": "forward", "capture": {"x": "y" * 2000}})
    assert fitter.fit(frame)["capture"]["before"]["a"] is not before["a"]
