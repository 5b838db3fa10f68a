"""The loop's source as shown: it builds the same optimizer, marks the lessons' switches."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from loopscope.protocol import PHASES
from loopscope.training.models import SimpleNet
from loopscope.training.scenarios import SCENARIOS, build, get_scenario
from loopscope.training.source import _optimizer_source, loop_source


def built(scenario: str, **config: Any) -> Any:
    sc = get_scenario(scenario)
    return build(sc, sc.validate(config), "cpu")


def _shown_optimizer(config: dict[str, Any]) -> torch.optim.Optimizer:
    """Evaluate the optimizer line the learner is shown, on a fresh model."""
    sc = get_scenario("linear")
    cfg = sc.validate(config)
    line = _optimizer_source(built("linear", **config).optimizer, cfg.optimizer == "adamw")
    model = SimpleNet()
    return eval(line, {"torch": torch, "model": model})  # our own source line, shown to the learner


HYPER = ("lr", "momentum", "betas", "eps", "weight_decay")


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"optimizer": "momentum", "momentum": 0.5, "lr": 0.1},
        {"optimizer": "adam", "beta1": 0.8},
        {"optimizer": "adamw"},
        {"optimizer": "sgd", "weight_decay": 0.001},
    ],
)
def test_shown_optimizer_source_builds_the_same_optimizer(config: dict[str, Any]) -> None:
    actual = built("linear", **config).optimizer.param_groups[0]
    shown = _shown_optimizer(config).param_groups[0]
    assert {k: shown.get(k) for k in HYPER} == {k: actual.get(k) for k in HYPER}


@pytest.mark.parametrize(
    "config",
    [
        {"optimizer": "adam", "eps": 1e-6},
        {"optimizer": "adamw", "weight_decay": 0.0},
        {"lr": 0.0123456789},
    ],
)
def test_shown_optimizer_source_with_less_common_values(config: dict[str, Any]) -> None:
    actual = built("linear", **config).optimizer.param_groups[0]
    shown = _shown_optimizer(config).param_groups[0]
    assert {k: shown.get(k) for k in HYPER} == {k: actual.get(k) for k in HYPER}


def test_loop_source_marks_skipped_zero_grad_and_batches() -> None:
    sc = SCENARIOS["linear"]
    config = sc.validate({"skip_zero_grad": True, "n_points": 10, "batch_size": 5})
    b = build(sc, config)
    source = loop_source(sc, config, b.criterion, b.optimizer)
    lines, phase_lines, setup = source["lines"], source["phase_lines"], source["setup_lines"]
    zero = lines[phase_lines["zero_grad"] - 1]
    assert zero.strip().startswith("# optimizer.zero_grad()")
    assert any("manual_seed(42)  # mini-batch order" in line for line in lines[:setup])
    assert lines[setup] == "for epoch in range(epochs):"
    # the batch line the learner sees uses the stepper's own scheme: randperm from a generator
    assert "torch.randperm(n, generator=g)" in lines[setup + 1]
    assert "x[perm[i:i + 5]]" in lines[phase_lines["forward"] - 2]


def test_each_phase_has_its_line_in_loop_order() -> None:
    sc = SCENARIOS["linear"]
    config = sc.validate({})
    b = build(sc, config, "cpu")
    source = loop_source(sc, config, b.criterion, b.optimizer)
    lines = [source["phase_lines"][phase] for phase in PHASES]
    assert lines == list(range(lines[0], lines[0] + len(PHASES)))
    assert source["lines"][lines[0] - 1].strip() == "y_pred = model(x_batch)"
    assert source["lines"][lines[-1] - 1].strip() == "optimizer.step()"
