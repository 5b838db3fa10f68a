"""The `tensor` command: one tensor in full, torch.equal to the run's own, bounded, validated."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from loopscope.protocol import EVENT_ADAPTER, MAX_TENSOR_ELEMENTS
from loopscope.training import fulltensor
from loopscope.training.errors import CommandError

from .._helpers import decode, make_session, step_phases, wire


def answer(session: Any, name: str, kind: str = "value", key: str | None = None) -> dict[str, Any]:
    (event,) = session.tensor(name, kind, key)
    sent = wire(event)  # as JSON
    EVENT_ADAPTER.validate_python(sent)
    return sent


def test_charlm_weights_come_in_full_and_equal_torchs() -> None:
    session = make_session("charlm")
    step_phases(session, 5)
    step_phases(session, 3)  # stopped after zero_grad: .grad is None, the state is there
    stepper = session.stepper
    for name, param in stepper.params.items():
        event = answer(session, name)
        assert (event["iteration"], event["next_phase"]) == (1, "backward")
        assert event["value"]["shape"] == list(param.shape) and "summary" not in event["value"]
        assert torch.equal(decode(event["value"]), param.detach())
        assert answer(session, name, "grad")["value"] is None  # zero_grad set it to None
        for key in ("exp_avg", "exp_avg_sq"):
            state = answer(session, name, "state", key)
            assert torch.equal(decode(state["value"]), stepper.optimizer.state[param][key])
        step = answer(session, name, "state", "step")["value"]
        assert torch.equal(decode(step), stepper.optimizer.state[param]["step"])
    step_phases(session, 1)  # backward
    grad = stepper.params["token_embedding.weight"].grad
    assert grad is not None
    got = decode(answer(session, "token_embedding.weight", "grad")["value"])
    assert torch.equal(got, grad)


def test_before_any_step_the_state_is_not_there_yet() -> None:
    session = make_session("charlm")
    event = answer(session, "lm_head.weight", "state", "exp_avg")
    assert event["value"] is None and (event["iteration"], event["next_phase"]) == (0, "forward")


@pytest.mark.parametrize(
    ("name", "kind", "key", "code", "field"),
    [
        ("nope.weight", "value", None, "not_found", "name"),
        ("lm_head.weight", "state", None, "invalid_message", "key"),
        ("lm_head.weight", "state", "momentum_buffer", "not_found", "key"),
        ("lm_head.weight", "value", "exp_avg", "invalid_message", "key"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    name: str, kind: str, key: str | None, code: str, field: str
) -> None:
    session = make_session("charlm")
    with pytest.raises(CommandError) as info:
        session.tensor(name, kind, key)  # type: ignore[arg-type]
    assert (info.value.code, info.value.field) == (code, field)


def test_every_parameter_of_the_largest_charlm_fits_the_cap() -> None:
    session = make_session("charlm", n_embd=128)  # the largest embedding allowed
    assert max(p.numel() for p in session.stepper.params.values()) <= MAX_TENSOR_ELEMENTS


def test_a_tensor_over_the_cap_is_refused_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    session = make_session("charlm")
    numel = session.stepper.params["token_embedding.weight"].numel()
    monkeypatch.setattr(fulltensor, "MAX_TENSOR_ELEMENTS", numel - 1)
    with pytest.raises(CommandError) as info:
        session.tensor("token_embedding.weight", "value", None)
    assert (info.value.code, info.value.field) == ("out_of_range", "name")
    assert str(numel) in info.value.message
    assert answer(session, "lm_head.bias")["value"]["shape"] == [1015]  # under it: sent
