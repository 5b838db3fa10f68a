"""optimizer.step() observed: the update rule, optimizer.state, and param_groups identity."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from loopscope.capture.optimizer import describe_optimizer, hyper_of, name_of, state_of

from .._helpers import (
    all_equal,
    by_phase,
    decode,
    make_session,
    params_of,
    plain_iterations,
    plain_params,
    step_phases,
)


def step_capture(session: Any) -> dict[str, Any]:
    return by_phase(step_phases(session, 5))["step"]["capture"]


def test_sgd_update_is_w_minus_lr_grad_exactly() -> None:
    lr = 0.01
    session = make_session("linear", n_points=10, lr=lr)
    for _ in range(10):
        step_phases(session, 4)
        live_before = [p.detach().clone() for p in params_of(session)]
        live_grads = [p.grad.clone() for p in params_of(session)]
        (event,) = step_phases(session, 1)
        for update, before, grad, param in zip(
            event["capture"]["updates"], live_before, live_grads, params_of(session), strict=True
        ):
            # from the capture, decoded to float32
            w_old, g, w_new = (
                decode(update["before"]),
                decode(update["grad"]),
                decode(update["after"]),
            )
            assert torch.equal(w_new, w_old.add(g, alpha=-lr))
            assert torch.equal(w_old, before) and torch.equal(g, grad)
            # and from the live parameters
            assert torch.equal(param.detach(), before.add(grad, alpha=-lr))
            assert update["hyper"]["lr"] == lr
            assert update["state"] == {}  # plain SGD keeps no state


@pytest.mark.parametrize(
    ("optimizer", "keys"),
    [
        ("momentum", ["momentum_buffer"]),
        ("adam", ["exp_avg", "exp_avg_sq"]),
        ("adamw", ["exp_avg", "exp_avg_sq"]),
    ],
)
def test_state_equals_torch_optimizer_state(optimizer: str, keys: list[str]) -> None:
    config = {"n_points": 10, "optimizer": optimizer, "lr": 0.02}
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config)
    for k in range(1, 8):
        capture = step_capture(session)
        reference = next(plain)
        torch_state = reference.built.optimizer.state
        for update, param in zip(
            capture["updates"], reference.built.model.parameters(), strict=True
        ):
            for key in keys:
                assert torch.equal(decode(update["state"][key]), torch_state[param][key])
                live = session.stepper.optimizer.state[session.stepper.params[update["name"]]]
                assert torch.equal(live[key], torch_state[param][key])
            if optimizer != "momentum":
                assert update["state"]["step"] == float(torch_state[param]["step"]) == k
        assert all_equal(params_of(session), plain_params(reference))


def test_references_are_the_model_parameters_themselves() -> None:
    session = make_session("linear", n_points=10)
    capture = step_capture(session)
    params = session.stepper.params
    refs = capture["references"]
    assert [(r["group"], r["index"], r["param"]) for r in refs] == [
        (0, 0, "linear.weight"),
        (0, 1, "linear.bias"),
    ]
    for ref in refs:
        param = params[ref["param"]]
        assert ref["same_object"] is True
        assert ref["id"] == id(param)
        assert ref["data_ptr"] == param.data_ptr()
        assert ref["version_after"] > ref["version_before"]
        assert ref["version_after"] == param._version


def test_frozen_parameter_is_skipped_and_unchanged() -> None:
    session = make_session("linear", n_points=10, frozen=["linear.bias"])
    bias = session.stepper.params["linear.bias"]
    start = bias.detach().clone()
    for _ in range(5):
        capture = step_capture(session)
        assert capture["skipped"] == ["linear.bias"]
        assert [u["name"] for u in capture["updates"]] == ["linear.weight"]
        ref = {r["param"]: r for r in capture["references"]}["linear.bias"]
        assert ref["version_after"] == ref["version_before"]
        assert bias.grad is None
        assert torch.equal(bias.detach(), start)
        assert bias.requires_grad is False
    event = session.session_event()
    (linear,) = event["model"]["children"]
    flags = {p["name"]: p["requires_grad"] for p in linear["parameters"]}
    assert flags == {"linear.weight": True, "linear.bias": False}


def test_describe_optimizer_resolves_names_by_identity() -> None:
    session = make_session("mlp", n_points=8, hidden=[3])
    info = session.session_event()["optimizer"]
    assert info["cls"] == "Adam"
    (group,) = info["param_groups"]
    assert group["params"] == list(session.stepper.params)
    # A tensor equal in value but not the same object is not that parameter.
    named = session.stepper.params
    twin = named["layers.0.weight"].detach().clone()
    assert name_of(twin, named) is None
    optimizer = torch.optim.SGD([twin, named["layers.0.bias"]], lr=0.1)
    described = describe_optimizer(optimizer, named)
    assert described["param_groups"][0]["params"] == [None, "layers.0.bias"]


def test_references_in_the_session_event() -> None:
    session = make_session("linear", n_points=10)
    refs = session.session_event()["references"]
    for ref in refs:
        param = session.stepper.params[ref["param"]]
        assert ref["same_object"] and ref["id"] == id(param)
        assert ref["data_ptr"] == param.data_ptr()


def test_hyper_of_is_json_safe() -> None:
    group = {
        "params": [],
        "lr": 0.5,
        "betas": (0.9, 0.999),
        "amsgrad": False,
        "foreach": None,
        "eps": float("inf"),
        "name": "ignored",
    }
    assert hyper_of(group) == {
        "lr": 0.5,
        "betas": [0.9, 0.999],
        "amsgrad": False,
        "foreach": None,
        "eps": "Infinity",
    }


def test_state_of_does_not_insert_state() -> None:
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.Adam([param])
    assert state_of(optimizer, param, 16) == {}
    assert len(optimizer.state) == 0
