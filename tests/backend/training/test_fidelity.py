"""Capturing never changes the math: the stepped run is bit-identical to a plain torch loop.

The oracle is the loop a learner writes (`_helpers.plain_iterations`), built like
scenarios.build and batched like the stepper, with no hooks, no graph walk, no history.
Everything is compared with torch.equal: float32, exactly.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from .._helpers import (
    all_equal,
    decode,
    make_session,
    params_of,
    plain_iterations,
    plain_params,
    points,
    step_phases,
    wire_loss,
)

OPTIMIZERS = ["sgd", "momentum", "adam", "adamw"]
BATCHING = {
    "full": {"n_points": 40},
    "mini": {"n_points": 40, "batch_size": 12},  # 4 batches, the last one of 4 points
}


def _config(optimizer: str, batching: str) -> dict[str, Any]:
    lr = 0.01 if optimizer in ("sgd", "momentum") else 0.05
    return {"optimizer": optimizer, "lr": lr, **BATCHING[batching]}


@pytest.mark.parametrize("batching", list(BATCHING))
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_phase_by_phase_with_full_capture_equals_plain_loop(optimizer: str, batching: str) -> None:
    config = _config(optimizer, batching)
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config)
    n_batches = session.stepper.n_batches
    epochs = 100 if batching == "full" else 25
    for epoch in range(epochs):
        for batch in range(n_batches):
            events = step_phases(session, 5)
            reference = next(plain)
            assert (reference.epoch, reference.batch) == (epoch, batch)
            phases = [e for e in events if e["type"] == "phase"]
            assert [e["phase"] for e in phases] == [
                "forward",
                "loss",
                "zero_grad",
                "backward",
                "step",
            ]
            for event in phases:
                assert (event["epoch"], event["batch"], event["n_batches"]) == (
                    epoch,
                    batch,
                    n_batches,
                )
            # The loss the events report is the plain loop's float32 loss, exactly.
            assert torch.equal(wire_loss(phases[1]["loss"]), reference.loss)
            # The gradients after backward are the plain loop's .grad.
            grads = [decode(g) for g in phases[3]["grads"].values()]
            assert all_equal(grads, reference.grads)
            # And so are the parameters after step: live, and as the event reports them.
            assert all_equal(params_of(session), plain_params(reference))
            assert all_equal([decode(p) for p in phases[4]["params"].values()], params_of(session))
        # (checked at every iteration above, so at every epoch in particular)


@pytest.mark.parametrize("scenario", ["mlp", "classify"])
@pytest.mark.parametrize("batching", list(BATCHING))
def test_nonlinear_scenarios_with_full_capture_equal_plain_loop(
    scenario: str, batching: str
) -> None:
    config = {"hidden": [6, 5], **BATCHING[batching]}
    session = make_session(scenario, **config)
    plain = plain_iterations(scenario, config)
    for _ in range(6 * session.stepper.n_batches):
        step_phases(session, 5)
        reference = next(plain)
        assert all_equal(params_of(session), plain_params(reference))


@pytest.mark.parametrize("batching", list(BATCHING))
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_fast_forward_by_epochs_equals_plain_loop(optimizer: str, batching: str) -> None:
    config = _config(optimizer, batching)
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config)
    n_batches = session.stepper.n_batches
    for _ in range(10):
        events = session.step("epoch", 3)
        references = [next(plain) for _ in range(3 * n_batches)]
        assert all_equal(params_of(session), plain_params(references[-1]))
        losses = points(events[-1])
        assert [p["iteration"] for p in losses] == [r.iteration for r in references]
        for point, reference in zip(losses, references, strict=True):
            assert torch.equal(wire_loss(float(point["loss"])), reference.loss)


def test_mixed_units_equal_plain_loop() -> None:
    """Phases, iterations and epochs interleaved land on the same numbers."""
    config = {"optimizer": "adam", "lr": 0.05, "n_points": 30, "batch_size": 7}
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config)
    done = []
    checked = 0
    for unit, count in [("phase", 3), ("iteration", 2), ("phase", 7), ("epoch", 2), ("phase", 5)]:
        session.step(unit, count)
        s = session.stepper
        while len(done) < s.iteration:
            done.append(next(plain))
        if s.phase_index == 0:  # between iterations: compare with the plain loop
            assert all_equal(params_of(session), plain_params(done[-1]))
            checked += 1
    assert checked == 3  # after ("iteration", 2), ("epoch", 2) and the final ("phase", 5)


def test_skip_zero_grad_run_equals_plain_loop_without_zero_grad() -> None:
    config = {"n_points": 20, "lr": 0.001, "skip_zero_grad": True}
    session = make_session("linear", **config)
    plain = plain_iterations("linear", config, zero_grad=False)
    for _ in range(15):
        step_phases(session, 5)
        reference = next(plain)
        assert all_equal(params_of(session), plain_params(reference))
        grads = [p.grad for p in params_of(session)]
        assert all_equal(grads, [p.grad for p in reference.built.model.parameters()])
