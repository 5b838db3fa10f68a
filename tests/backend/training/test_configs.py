"""Scenario configs: defaults, every bound enforced, nothing unknown or non-finite accepted."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from loopscope.training.configs import (
    MAX_HIDDEN_LAYERS,
    MAX_HIDDEN_UNITS,
    MAX_POINTS,
    SETTABLE,
    ClassifyConfig,
    LinearConfig,
    MlpConfig,
    RunConfig,
)


def error_loc(cls: type[RunConfig], raw: dict[str, Any]) -> tuple[Any, ...]:
    with pytest.raises(ValidationError) as exc:
        cls.model_validate(raw)
    return tuple(exc.value.errors()[0]["loc"])


def test_linear_defaults_are_the_notes_script() -> None:
    c = LinearConfig()
    assert (c.seed, c.lr, c.optimizer, c.n_points, c.noise) == (42, 0.01, "sgd", 100, 0.1)
    assert (c.batch_size, c.device, c.skip_zero_grad, c.frozen, c.loss) == (
        None,
        "auto",
        False,
        [],
        "mse",
    )


def test_mlp_and_classify_defaults() -> None:
    assert (MlpConfig().optimizer, MlpConfig().hidden, MlpConfig().activation) == (
        "adam",
        [16, 16],
        "tanh",
    )
    assert (ClassifyConfig().dataset, ClassifyConfig().activation) == ("moons", "relu")


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ({"seed": -1}, ("seed",)),
        ({"seed": 2**31}, ("seed",)),
        ({"lr": 0}, ("lr",)),
        ({"lr": 10.5}, ("lr",)),
        ({"momentum": 1.0}, ("momentum",)),
        ({"beta1": -0.1}, ("beta1",)),
        ({"beta2": 1}, ("beta2",)),
        ({"eps": 0}, ("eps",)),
        ({"weight_decay": 2}, ("weight_decay",)),
        ({"batch_size": 0}, ("batch_size",)),
        ({"n_points": 1}, ("n_points",)),
        ({"n_points": MAX_POINTS + 1}, ("n_points",)),
        ({"noise": -0.5}, ("noise",)),
        ({"optimizer": "rmsprop"}, ("optimizer",)),
        ({"loss": "huber"}, ("loss",)),
        ({"device": "gpu"}, ("device",)),
        ({"device": "cuda:100"}, ("device",)),
        ({"frozen": ["x" * 65]}, ("frozen", 0)),
        ({"frozen": ["a"] * 17}, ("frozen",)),
        ({"unknown": 1}, ("unknown",)),
        ({"lr": math.nan}, ("lr",)),
        ({"lr": math.inf}, ("lr",)),
        ({"noise": math.inf}, ("noise",)),
    ],
)
def test_linear_bounds(raw: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert error_loc(LinearConfig, raw) == loc


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ({"hidden": []}, ("hidden",)),
        ({"hidden": [4] * (MAX_HIDDEN_LAYERS + 1)}, ("hidden",)),
        ({"hidden": [MAX_HIDDEN_UNITS + 1]}, ("hidden", 0)),
        ({"hidden": [4, 0]}, ("hidden", 1)),
        ({"activation": "gelu"}, ("activation",)),
    ],
)
def test_mlp_bounds(raw: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert error_loc(MlpConfig, raw) == loc


def test_classify_bounds() -> None:
    assert error_loc(ClassifyConfig, {"dataset": "circles"}) == ("dataset",)
    assert error_loc(ClassifyConfig, {"noise": 3}) == ("noise",)
    assert error_loc(ClassifyConfig, {"loss": "mse"}) == ("loss",)  # CrossEntropy only


def test_batch_size_may_not_exceed_n_points() -> None:
    with pytest.raises(ValidationError, match="exceeds n_points"):
        LinearConfig(n_points=10, batch_size=11)
    assert LinearConfig(n_points=10, batch_size=10).batch_size == 10


@pytest.mark.parametrize("device", ["auto", "cpu", "mps", "cuda", "cuda:0", "cuda:12"])
def test_device_forms(device: str) -> None:
    assert LinearConfig(device=device).device == device


def test_assignment_is_validated() -> None:
    config = LinearConfig()
    with pytest.raises(ValidationError):
        config.lr = -1.0


def test_settable_names_exist_on_every_config() -> None:
    for cls in (LinearConfig, MlpConfig, ClassifyConfig):
        assert set(SETTABLE) <= set(cls.model_fields)


def test_config_roundtrips_through_json() -> None:
    config = MlpConfig(hidden=[3, 2], batch_size=8, frozen=["layers.0.bias"])
    again = MlpConfig.model_validate_json(config.model_dump_json())
    assert again == config
