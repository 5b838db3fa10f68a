"""Scenarios: build order (seed, data, model, optimizer), devices, optimizers, the registry."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import torch
from torch import nn

from loopscope.training import data
from loopscope.training.models import MLP, SimpleNet
from loopscope.training.scenarios import (
    SCENARIOS,
    ConfigError,
    build,
    get_scenario,
    resolve_device,
)

from .._helpers import all_equal


def built(scenario: str, **config: Any) -> Any:
    sc = get_scenario(scenario)
    return build(sc, sc.validate(config), "cpu")


def test_linear_build_follows_the_reference_order() -> None:
    b = built("linear", seed=7, n_points=20, noise=0.3)
    torch.manual_seed(7)
    x = torch.rand(20, 1) * 10
    y = 2 * x + 1 + torch.randn(20, 1) * 0.3
    model = SimpleNet()
    assert torch.equal(b.x, x) and torch.equal(b.y, y)
    assert all_equal(list(b.model.parameters()), list(model.parameters()))
    assert isinstance(b.criterion, nn.MSELoss)
    assert isinstance(b.optimizer, torch.optim.SGD)
    assert b.optimizer.param_groups[0]["params"] == list(b.model.parameters())


@pytest.mark.parametrize(
    ("dataset", "make"), [("moons", data.make_moons), ("spiral", data.make_spiral)]
)
def test_classify_build_order(dataset: str, make: Any) -> None:
    b = built("classify", seed=3, n_points=15, dataset=dataset, hidden=[5, 4])
    torch.manual_seed(3)
    x, y = make(15, 0.1)
    model = MLP([2, 5, 4, 2], "relu")
    assert torch.equal(b.x, x) and torch.equal(b.y, y)
    assert b.y.dtype == torch.int64 and set(b.y.tolist()) == {0, 1}
    assert all_equal(list(b.model.parameters()), list(model.parameters()))
    assert isinstance(b.criterion, nn.CrossEntropyLoss)
    assert isinstance(b.optimizer, torch.optim.Adam)


def test_mlp_build_and_loss_choice() -> None:
    b = built("mlp", n_points=9, hidden=[3], activation="sigmoid", loss="l1")
    assert b.x.shape == (9, 1) and torch.all(b.x[1:] >= b.x[:-1])  # sorted
    assert [type(m).__name__ for m in b.model.layers] == ["Linear", "Sigmoid", "Linear"]
    assert isinstance(b.criterion, nn.L1Loss)


def test_same_seed_same_run_and_the_global_rng_is_the_only_input() -> None:
    a = built("mlp", seed=11, n_points=8)
    torch.manual_seed(999)  # whatever the global RNG held before does not matter
    b = built("mlp", seed=11, n_points=8)
    assert torch.equal(a.x, b.x)
    assert all_equal(list(a.model.parameters()), list(b.model.parameters()))
    c = built("mlp", seed=12, n_points=8)
    assert not torch.equal(a.x, c.x)


def test_builds_in_threads_do_not_interleave_their_draws() -> None:
    expected = {seed: built("linear", seed=seed, n_points=50).x for seed in range(6)}
    results: dict[int, torch.Tensor] = {}
    barrier = threading.Barrier(6)

    def work(seed: int) -> None:
        barrier.wait()
        for _ in range(5):
            results[seed] = built("linear", seed=seed, n_points=50).x

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(torch.equal(results[seed], expected[seed]) for seed in range(6))


def test_frozen_parameters_do_not_require_grad() -> None:
    b = built("mlp", n_points=8, hidden=[3], frozen=["layers.0.weight", "layers.2.bias"])
    flags = {name: p.requires_grad for name, p in b.model.named_parameters()}
    assert flags == {
        "layers.0.weight": False,
        "layers.0.bias": True,
        "layers.2.weight": True,
        "layers.2.bias": False,
    }


def test_unknown_frozen_name_is_an_error_naming_its_index() -> None:
    with pytest.raises(ConfigError) as exc:
        built("linear", frozen=["linear.bias", "linear.nope"])
    assert exc.value.field == "config.frozen.1"
    assert "linear.nope" in str(exc.value)


def test_unknown_scenario() -> None:
    with pytest.raises(ConfigError) as exc:
        get_scenario("resnet")
    assert exc.value.field == "scenario"
    assert set(SCENARIOS) == {"linear", "mlp", "classify", "charlm"}


@pytest.mark.parametrize(
    ("optimizer", "cls", "hyper"),
    [
        ("sgd", torch.optim.SGD, {"lr": 0.01, "momentum": 0, "weight_decay": 0.0}),
        ("momentum", torch.optim.SGD, {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0}),
        ("adam", torch.optim.Adam, {"lr": 0.01, "betas": (0.9, 0.999), "weight_decay": 0.0}),
        ("adamw", torch.optim.AdamW, {"lr": 0.01, "eps": 1e-8, "weight_decay": 0.01}),
    ],
)
def test_optimizer_per_config(optimizer: str, cls: type, hyper: dict[str, Any]) -> None:
    b = built("linear", optimizer=optimizer)
    assert type(b.optimizer) is cls
    group = b.optimizer.param_groups[0]
    assert {k: group[k] for k in hyper} == hyper


def test_explicit_weight_decay_zero_for_adamw() -> None:
    b = built("linear", optimizer="adamw", weight_decay=0.0)
    assert b.optimizer.param_groups[0]["weight_decay"] == 0.0


def test_cpu_and_auto_devices() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto", "cpu") == torch.device("cpu")
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_missing_cuda_is_device_unavailable(name: str) -> None:
    with pytest.raises(ConfigError) as exc:
        built("linear", device=name)
    assert (exc.value.code, exc.value.field) == ("device_unavailable", "config.device")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_missing_mps_is_device_unavailable() -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_device("mps")
    assert (exc.value.code, exc.value.field) == ("device_unavailable", "config.device")


@pytest.mark.parametrize(
    "make", [data.make_line, data.make_sine, data.make_moons, data.make_spiral]
)
def test_data_generators_shapes(make: Any) -> None:
    torch.manual_seed(0)
    x, y = make(7, 0.1)
    assert x.shape[0] == y.shape[0] == 7
    assert x.dtype == torch.float32
