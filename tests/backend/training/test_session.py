"""One learner's run: start, reset, rewind (and branch), set; refused commands change nothing."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import numpy as np
import pytest
import torch

from loopscope.training.errors import CommandError
from loopscope.training.events import MAX_LOSSES_PER_EVENT

from .._helpers import (
    all_equal,
    by_phase,
    check_event,
    comparable,
    make_session,
    params_of,
    plain_iterations,
    plain_params,
    points,
    step_phases,
)

SCENARIOS = {
    "linear": {"n_points": 12},
    "mlp": {"n_points": 12, "hidden": [4]},
    "classify": {"n_points": 12, "hidden": [4], "dataset": "spiral"},
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_session_event_describes_the_run(scenario: str) -> None:
    session = make_session(scenario, **SCENARIOS[scenario])
    event = check_event(session.session_event())
    assert event["scenario"] == scenario
    assert event["parameters"] == list(session.stepper.params)
    assert event["iteration"] == 0 and event["next_phase"] == "forward"
    assert event["device"] == "cpu"
    assert event["config"]["n_points"] == 12
    lines = event["source"]["lines"]
    phase_lines = event["source"]["phase_lines"]
    assert lines[phase_lines["forward"] - 1].strip() == "y_pred = model(x_batch)"
    assert lines[phase_lines["loss"] - 1].strip() == "loss = criterion(y_pred, y_batch)"
    assert lines[phase_lines["zero_grad"] - 1].strip() == "optimizer.zero_grad()"
    assert lines[phase_lines["backward"] - 1].strip() == "loss.backward()"
    assert lines[phase_lines["step"] - 1].strip() == "optimizer.step()"
    assert all(v is None for v in event["grads"].values())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_event_of_every_phase_validates(scenario: str) -> None:
    config = {**SCENARIOS[scenario], "batch_size": 5}
    session = make_session(scenario, **config)
    kinds = set()
    for _ in range(3 * 5 * 3):  # three epochs of three batches, phase by phase
        for event in step_phases(session, 1):
            kinds.add(event["type"])
    for unit in ("iteration", "epoch"):
        for event in session.step(unit, 2):
            check_event(event)
    check_event(session.session_event())
    assert kinds == {"graph", "phase"}


def test_reset_gives_the_same_numbers() -> None:
    session = make_session("linear", n_points=10, batch_size=3)
    first = [comparable(e) for e in step_phases(session, 23)]
    (event,) = session.reset()
    assert check_event(event)["iteration"] == 0
    again = [comparable(e) for e in step_phases(session, 23)]
    assert [e for e in again if e["type"] == "phase"] == [e for e in first if e["type"] == "phase"]


@pytest.mark.parametrize("batch_size", [None, 4])
@pytest.mark.parametrize("k", [0, 3, 5])
def test_rewind_then_step_equals_a_fresh_run(batch_size: int | None, k: int) -> None:
    config = {"n_points": 10, "batch_size": batch_size, "optimizer": "adam", "lr": 0.05}
    session = make_session("linear", **config)
    session.step("iteration", 8)
    step_phases(session, 2)  # mid-iteration: the half-run iteration is dropped
    (event,) = session.rewind(k)
    event = check_event(event)
    assert event["iteration"] == k and event["next_phase"] == "forward"
    assert event["history"]["last"] == k
    fresh = make_session("linear", **config)
    if k:
        fresh.step("iteration", k)
    assert all_equal(params_of(session), params_of(fresh))
    ours = [comparable(e) for e in step_phases(session, 15)]
    theirs = [comparable(e) for e in step_phases(fresh, 15)]
    assert [e for e in ours if e["type"] == "phase"] == [e for e in theirs if e["type"] == "phase"]


def test_rewind_and_set_lr_branches_like_a_plain_loop_switching_lr() -> None:
    config = {"n_points": 10, "optimizer": "momentum", "lr": 0.01}
    k, new_lr = 4, 0.002
    session = make_session("linear", **config)
    session.step("iteration", 9)
    session.rewind(k)
    (event,) = session.set({"lr": new_lr})
    event = check_event(event)
    assert event["config"]["lr"] == new_lr
    assert event["optimizer"]["param_groups"][0]["hyper"]["lr"] == new_lr
    # The plain loop runs k iterations, then switches lr in its param_groups.
    plain = plain_iterations("linear", config)
    reference = None
    for _ in range(k):
        reference = next(plain)
    assert reference is not None
    for group in reference.built.optimizer.param_groups:
        group["lr"] = new_lr
    for _ in range(6):
        step_phases(session, 5)
        reference = next(plain)
        assert all_equal(params_of(session), plain_params(reference))
    # and the branch really differs from the original run
    original = make_session("linear", **config)
    original.step("iteration", k + 6)
    assert not all_equal(params_of(session), params_of(original))


def test_rewind_restores_the_hyperparameters_of_that_iteration() -> None:
    session = make_session("linear", n_points=10)
    session.step("iteration", 3)
    session.set({"lr": 0.05})
    session.step("iteration", 3)
    (event,) = session.rewind(2)
    assert event["config"]["lr"] == 0.01
    assert session.stepper.optimizer.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize(
    ("optimizer", "changes"),
    [
        ("adam", {"eps": 0.5, "weight_decay": 0.25, "beta2": 0.9}),
        ("sgd", {"weight_decay": 0.5, "skip_zero_grad": True}),
        ("momentum", {"momentum": 0.5, "lr": 0.02}),
    ],
)
def test_rewind_restores_the_config_of_that_iteration_and_reset_rebuilds_it(
    optimizer: str, changes: dict[str, Any]
) -> None:
    """Every hyperparameter a `set` changed goes back with a rewind before it, in the config
    (what `reset` rebuilds from) as in param_groups, and the program text follows."""
    session = make_session("linear", n_points=10, optimizer=optimizer)
    session.step("iteration", 3)
    before = session.session_event()
    session.set(changes)
    session.step("iteration", 3)
    (event,) = session.rewind(2)
    assert event["config"] == before["config"]
    assert event["optimizer"] == before["optimizer"]
    assert event["source"] == before["source"]
    (fresh,) = session.reset()
    assert fresh["optimizer"] == before["optimizer"]


def test_the_program_text_follows_set() -> None:
    session = make_session("linear", n_points=10)
    lines = session.session_event()["source"]["lines"]
    assert "torch.optim.SGD(model.parameters(), lr=0.01)" in "\n".join(lines)
    (event,) = session.set({"lr": 0.5, "skip_zero_grad": True})
    source = event["source"]
    text = "\n".join(source["lines"])
    assert "torch.optim.SGD(model.parameters(), lr=0.5)" in text
    zero = source["lines"][source["phase_lines"]["zero_grad"] - 1]
    assert zero.strip().startswith("# optimizer.zero_grad()")
    assert len(source["lines"]) == len(lines)  # the phase lines stay where they were


def test_rewind_past_history_is_refused_and_changes_nothing() -> None:
    session = make_session("linear", n_points=10)
    twin = make_session("linear", n_points=10)
    for s in (session, twin):
        s.step("iteration", 3)
        step_phases(s, 2)
    for iteration in (4, 100, -1):
        with pytest.raises(CommandError) as exc:
            session.rewind(iteration)
        assert exc.value.code == "out_of_range"
        assert exc.value.field == "iteration"
    assert [comparable(e) for e in step_phases(session, 8)] == [
        comparable(e) for e in step_phases(twin, 8)
    ]


def test_set_changes_param_groups_from_the_next_phase() -> None:
    session = make_session("linear", n_points=10, optimizer="adam")
    session.set({"lr": 0.2, "beta1": 0.5, "eps": 1e-6, "weight_decay": 0.1})
    group = session.stepper.optimizer.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"]) == (
        0.2,
        (0.5, 0.999),
        1e-6,
        0.1,
    )
    session.set({"skip_zero_grad": True})
    assert session.stepper.skip_zero_grad is True
    step_phases(session, 5)
    zero = by_phase(step_phases(session, 5))["zero_grad"]["capture"]
    assert zero["skipped"] is True


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"eps": 0.1}, "eps", "invalid_message"),  # plain SGD has no eps
        ({"beta1": 0.5}, "beta1", "invalid_message"),
        ({"lr": -1.0}, "lr", "out_of_range"),
        ({"lr": 100.0}, "lr", "out_of_range"),
        ({"momentum": 1.0}, "momentum", "out_of_range"),
        ({"momentum": 0.5}, "momentum", "invalid_message"),  # plain SGD: the other optimizer
        ({"lr": "fast"}, "lr", "invalid_message"),
    ],
)
def test_refused_set_names_the_field_and_changes_nothing(
    changes: dict[str, Any], field: str, code: str
) -> None:
    session = make_session("linear", n_points=10)
    before = session.config.model_dump()
    with pytest.raises(CommandError) as exc:
        session.set(changes)
    assert exc.value.field == field
    assert exc.value.code == code
    assert session.config.model_dump() == before
    assert session.stepper.optimizer.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize(
    ("scenario", "config", "code", "field"),
    [
        ("linear", {"lr": -1}, "invalid_config", "config.lr"),
        ("linear", {"frozen": ["nope"]}, "invalid_config", "config.frozen.0"),
        ("linear", {"frozen": ["linear.bias", "x"]}, "invalid_config", "config.frozen.1"),
        ("linear", {"n_points": 10, "batch_size": 11}, "invalid_config", "config.batch_size"),
        ("linear", {"extra": 1}, "invalid_config", "config.extra"),
        ("mlp", {"hidden": [65]}, "invalid_config", "config.hidden.0"),
        ("linear", {"device": "tpu"}, "invalid_config", "config.device"),
        ("nope", {}, "invalid_config", "scenario"),
    ],
)
def test_bad_start_names_the_field(
    scenario: str, config: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises((CommandError, ValueError)) as exc:
        make_session(scenario, **config)
    assert getattr(exc.value, "code", None) == code
    assert getattr(exc.value, "field", None) == field


def test_graph_is_sent_again_after_a_session_event_that_changes_the_config() -> None:
    session = make_session("linear", n_points=10)
    step_phases(session, 5)
    session.set({"lr": 0.02})
    events = step_phases(session, 2)
    assert [e["type"] for e in events] == ["phase", "graph", "phase"]


def test_token_and_run_id_identify_the_run() -> None:
    session = make_session("linear", n_points=10)
    event = session.session_event()
    assert event["run_id"] == session.run_id and event["token"] == session.token
    assert make_session("linear", n_points=10).token != session.token
    assert torch.equal(params_of(session)[0], params_of(make_session("linear", n_points=10))[0])


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_a_dropped_run_is_freed_without_the_cyclic_gc(scenario: str) -> None:
    """No reference cycle holds a run (its model, tensors, hooks): refcounting frees it the
    moment the last reference goes, even mid-iteration with the forward hooks on."""
    make_session(scenario, **SCENARIOS[scenario]).step("phase", 7)  # imports, caches: warm
    gc.collect()
    gc.disable()
    try:
        session = make_session(scenario, **SCENARIOS[scenario])
        step_phases(session, 7)
        session.step("iteration", 2)
        step_phases(session, 3)
        refs = [weakref.ref(o) for o in (session, session.stepper, session.stepper.model)]
        refs.append(weakref.ref(next(iter(session.stepper.params.values()))))
        del session
        assert [ref() for ref in refs] == [None] * len(refs)
    finally:
        gc.enable()


@pytest.mark.parametrize("batch_size", [None, 3])
def test_a_step_cut_short_ends_after_one_more_captured_iteration(batch_size: int | None) -> None:
    config = {"n_points": 10, "batch_size": batch_size, "optimizer": "adam"}
    session = make_session("linear", **config)
    step_phases(session, 2)  # mid-iteration 0: it is finished first, uncut
    asked: list[int] = []

    def cut_short() -> bool:
        asked.append(session.stepper.iteration)
        return len(asked) > 5

    *_, event = [check_event(e) for e in session.step("epoch", 100, cut_short=cut_short)]
    assert asked == [1, 2, 3, 4, 5, 6]  # asked before each uncaptured iteration
    assert (event["phase"], event["iteration"]) == ("step", 6)
    assert event["capture"] is not None and event["fit"] is not None
    assert [p["iteration"] for p in points(event)] == list(range(7))
    twin = make_session("linear", **config)
    twin.step("iteration", 7)
    assert all_equal(params_of(session), params_of(twin))
    assert session.stepper.next_phase == "forward"


def test_a_long_step_reports_the_loss_of_every_iteration_it_ran() -> None:
    """Beyond what one phase event carries, the older losses come first in `losses`
    events: every iteration once, in order, with the loss the plain loop computed."""
    config = {"n_points": 3, "batch_size": 2}
    session = make_session("linear", **config)
    events = [check_event(e) for e in session.step("iteration", 25_001)]
    assert [e["type"] for e in events[:-2]] == ["losses"] and events[-2]["type"] == "graph"
    losses: list[tuple[int, Any]] = []
    for e in events:
        if e["type"] == "losses":
            assert e["n_batches"] == 2
            losses += [(e["first"] + k, v) for k, v in enumerate(e["values"])]
        elif e["type"] == "phase":
            assert len(points(e)) == MAX_LOSSES_PER_EVENT
            losses += [(p["iteration"], p["loss"]) for p in points(e)]
    assert [i for i, _ in losses] == list(range(25_001))
    twin = make_session("linear", **config)
    twin_losses = []
    for _ in range(25_001):
        twin.stepper.run_iteration()
        twin_losses.append(twin.stepper.loss_value)
    # Each wire loss reads back as exactly the float32 loss torch computed.
    assert [np.float32(float(v)) for _, v in losses] == [np.float32(v) for v in twin_losses]


def test_a_single_phase_step_is_never_cut_short() -> None:
    session = make_session("linear", n_points=10)
    (event,) = session.step("phase", 1, cut_short=lambda: True)
    assert event["phase"] == "forward"
    *_, event = session.step("phase", 4, cut_short=lambda: True)
    assert (event["phase"], event["iteration"]) == ("step", 0)
