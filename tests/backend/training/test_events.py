"""Event builders: the loss as sent, the one place losses are chunked, capabilities."""

from __future__ import annotations

import math

import orjson
import pytest
import torch

from loopscope.capture.update import bits_equal
from loopscope.capture.values import decode_float
from loopscope.protocol import EVENT_ADAPTER, SetCommand
from loopscope.training.configs import SETTABLE
from loopscope.training.errors import CommandError
from loopscope.training.events import (
    LOSSES_CHUNK,
    MAX_LOSSES_PER_EVENT,
    PendingLosses,
    wire_float,
)

from .._helpers import EDGES, make_session


def scalar_roundtrip(value: float) -> torch.Tensor:
    """A float32 loss (as loss.item() gives it) through wire_float, orjson and back."""
    tensor = torch.tensor(value, dtype=torch.float32)
    text = orjson.dumps({"v": wire_float(tensor.item())}, option=orjson.OPT_SERIALIZE_NUMPY)
    return torch.tensor(decode_float(orjson.loads(text)["v"]), dtype=torch.float32)


def test_wire_float_roundtrips_finite() -> None:
    for value in EDGES:
        tensor = torch.tensor(value, dtype=torch.float32)
        assert bits_equal(scalar_roundtrip(value), tensor)


def test_wire_float_of_non_finite_is_a_string() -> None:
    assert torch.isnan(scalar_roundtrip(math.nan))
    assert scalar_roundtrip(math.inf) == math.inf
    assert scalar_roundtrip(-math.inf) == -math.inf


def losses_of(values: list[float]) -> list[float]:
    """What orjson writes for wire floats, read back."""
    return [
        decode_float(v)
        for v in orjson.loads(orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY))
    ]


def test_pending_losses_keep_every_iteration_once_in_order() -> None:
    pending = PendingLosses()
    total = MAX_LOSSES_PER_EVENT + 2 * LOSSES_CHUNK + 7
    start = 5
    for i in range(start, start + total):
        pending.add(i, float(i))
    spilled = pending.spill(n_batches=4)
    chunk = pending.take(next_iteration=start + total)
    assert len(chunk["values"]) == MAX_LOSSES_PER_EVENT
    assert [len(e["values"]) for e in spilled] == [LOSSES_CHUNK, LOSSES_CHUNK, 7]
    iterations: list[int] = []
    for event in spilled:
        EVENT_ADAPTER.validate_python(
            orjson.loads(orjson.dumps(event, option=orjson.OPT_SERIALIZE_NUMPY))
        )
        assert event["n_batches"] == 4
        iterations += range(event["first"], event["first"] + len(event["values"]))
        assert losses_of(event["values"]) == [
            float(i) for i in range(event["first"], event["first"] + len(event["values"]))
        ]
    iterations += range(chunk["first"], chunk["first"] + len(chunk["values"]))
    assert iterations == list(range(start, start + total))
    assert losses_of(chunk["values"]) == [float(i) for i in iterations[-MAX_LOSSES_PER_EVENT:]]
    # Nothing left: the next phase event's chunk is empty and starts where asked.
    assert pending.take(next_iteration=9) == {"first": 9, "values": []}
    assert pending.spill(4) == []


def test_pending_losses_refuse_a_gap() -> None:
    pending = PendingLosses()
    pending.add(3, 1.0)
    with pytest.raises(AssertionError):
        pending.add(5, 1.0)


def test_a_loss_that_fits_goes_with_the_phase_event_only() -> None:
    pending = PendingLosses()
    pending.add(0, math.inf)
    assert pending.spill(1) == []
    assert pending.take(next_iteration=1) == {"first": 0, "values": ["Infinity"]}


def test_settable_keys_are_setcommand_fields() -> None:
    assert set(SETTABLE) == set(SetCommand.model_fields) - {"type"}


@pytest.mark.parametrize(
    ("optimizer", "settable", "state"),
    [
        ("sgd", ["lr", "weight_decay", "skip_zero_grad"], []),
        ("momentum", ["lr", "momentum", "weight_decay", "skip_zero_grad"], ["momentum_buffer"]),
        (
            "adam",
            ["lr", "beta1", "beta2", "eps", "weight_decay", "skip_zero_grad"],
            ["step", "exp_avg", "exp_avg_sq"],
        ),
        (
            "adamw",
            ["lr", "beta1", "beta2", "eps", "weight_decay", "skip_zero_grad"],
            ["step", "exp_avg", "exp_avg_sq"],
        ),
    ],
)
def test_capabilities_name_what_set_accepts_and_the_state_torch_keeps(
    optimizer: str, settable: list[str], state: list[str]
) -> None:
    session = make_session("mlp", optimizer=optimizer, n_points=8)
    caps = session.session_event()["capabilities"]
    assert caps["settable"] == settable
    assert caps["optimizer_state"] == state
    for key in SETTABLE:  # exactly the listed keys are accepted by `set`
        value = True if key == "skip_zero_grad" else 0.5
        if key in settable:
            session.set({key: value})
        else:
            with pytest.raises(CommandError, match=key):
                session.set({key: value})
    session.step("iteration", 2)
    kept = session.stepper.optimizer.state[next(iter(session.stepper.params.values()))]
    assert sorted(kept) == sorted(state)


@pytest.mark.parametrize(
    ("scenario", "fit", "landscape"),
    [("linear", "line", True), ("mlp", "curve", False), ("classify", "regions", False)],
)
def test_capabilities_follow_the_scenario_record(scenario: str, fit: str, landscape: bool) -> None:
    event = make_session(scenario, n_points=8).session_event()
    caps = event["capabilities"]
    assert (caps["fit"], caps["landscape"], caps["source"]) == (fit, landscape, "scenario")
    assert event["fit"]["kind"] == fit
    assert (event["landscape"] is not None) == landscape


def test_session_event_changes_nothing() -> None:
    session = make_session("linear", n_points=8)
    session.step("phase", 3)
    before = orjson.dumps(session.session_event(), option=orjson.OPT_SERIALIZE_NUMPY)
    sent = session.sent_graph_id
    again = orjson.dumps(session.session_event(), option=orjson.OPT_SERIALIZE_NUMPY)
    assert before == again and session.sent_graph_id == sent is not None
