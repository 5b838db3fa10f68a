"""Per-parameter health of a step: histograms, norms, ‖Δw‖/‖w‖ and flags, against torch."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from loopscope.capture.layers import (
    EXPLODING,
    FADED,
    GROWTH,
    flag_of,
    histogram,
    layer_stats,
    step_norms,
)
from loopscope.capture.values import HISTOGRAM_BINS

from .._helpers import make_session, phase_events


def test_histogram_counts_every_finite_value_in_its_bin() -> None:
    torch.manual_seed(0)
    tensor = torch.randn(40, 30)
    hist = histogram(tensor)
    edges, counts = hist["edges"], hist["counts"]
    assert len(counts) == HISTOGRAM_BINS and len(edges) == HISTOGRAM_BINS + 1
    assert edges[0] == float(tensor.min()) and edges[-1] == float(tensor.max())
    flat = tensor.reshape(-1).double()
    for i, count in enumerate(counts):
        low, high = float(edges[i]), float(edges[i + 1])
        inside = (flat >= low) & ((flat <= high) if i == HISTOGRAM_BINS - 1 else (flat < high))
        assert count == int(inside.sum())
    with_nan = torch.tensor([1.0, math.nan, 2.0, math.inf])
    assert sum(histogram(with_nan)["counts"]) == 2


def test_layer_stats_are_torchs_norms_of_a_real_step() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
    loss = model(torch.randn(8, 4)).pow(2).mean()
    loss.backward()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer.step()
    for name, param in model.named_parameters():
        stats = layer_stats(name, before[name], param)
        assert param.grad is not None
        delta = (param.detach() - before[name]).double()
        assert stats["numel"] == param.numel()
        assert stats["grad_norm"] == float(torch.linalg.vector_norm(param.grad.double()))
        assert stats["update_norm"] == float(torch.linalg.vector_norm(delta))
        value_norm = float(torch.linalg.vector_norm(before[name].double()))
        assert stats["value_norm"] == value_norm
        assert stats["ratio"] == float(torch.linalg.vector_norm(delta)) / value_norm
        assert sum(stats["values"]["counts"]) == param.numel()
        assert stats["grads"] is not None and sum(stats["grads"]["counts"]) == param.numel()


def test_flags_follow_the_thresholds() -> None:
    healthy = flag_of(1.0, 1e-3, 1.0, 0.1, 0.1)
    assert healthy is None
    # a large step alone is not exploding (a weight starting near zero); growing, it is
    assert flag_of(1.0, EXPLODING * 50, None, 0.1, 0.1) is None
    assert flag_of(1.0, EXPLODING * 50, 1.0 / (GROWTH * 2), 0.1, 0.1) == "exploding"
    assert flag_of(1.0, EXPLODING / 2, 1.0 / (GROWTH * 2), 0.1, 0.1) is None
    assert flag_of(math.inf, 1e-3, 1.0, math.inf, 0.1) == "exploding"
    assert flag_of(1.0, math.nan, 1.0, 0.1, 0.1) == "exploding"
    assert flag_of(1e-6, 1e-7, 1e-6, FADED / 2, 1.0) == "vanishing"
    assert flag_of(1e-6, 1e-7, 1e-6, FADED * 2, 1.0) is None
    assert flag_of(None, None, None, None, math.nan) is None


def captured_flags(session: Any, steps: int) -> list[dict[str, str | None]]:
    """The flags of `steps` captured steps in a row (one iteration each)."""
    out = []
    for _ in range(steps):
        step = phase_events(session.step("phase", 5))[-1]
        assert step["phase"] == "step"
        out.append({s["name"]: s["flag"] for s in step["layers"]})
    return out


def test_healthy_linear_is_never_flagged_though_its_first_steps_are_large() -> None:
    session = make_session("linear")
    first = phase_events(session.step("phase", 5))[-1]["layers"]
    assert max(float(s["ratio"]) for s in first) > EXPLODING  # w starts near 0
    assert all(s["flag"] is None for s in first)
    flags = captured_flags(session, 8)
    assert all(flag is None for step in flags for flag in step.values()), flags


def test_a_diverging_linear_is_flagged_exploding_from_its_second_step() -> None:
    session = make_session("linear", lr=1.5)
    flags = captured_flags(session, 4)
    assert all(flag is None for flag in flags[0].values())  # nothing to compare with yet
    assert all(flag == "exploding" for step in flags[1:] for flag in step.values()), flags


def test_deep_sigmoid_mlp_flags_its_first_layers_vanishing() -> None:
    session = make_session("mlp", optimizer="sgd", activation="sigmoid", hidden=[4, 4, 4, 4])
    flags = captured_flags(session, 3)
    for step in flags:
        assert step["layers.0.weight"] == "vanishing" or step["layers.0.bias"] == "vanishing"
        assert step["layers.8.weight"] is None and step["layers.8.bias"] is None
    # the same stack with tanh keeps its gradients alive
    tanh = captured_flags(make_session("mlp", optimizer="sgd", hidden=[4, 4, 4, 4]), 3)
    assert all(flag is None for step in tanh for flag in step.values()), tanh


def test_a_rewind_compares_with_no_later_step() -> None:
    session = make_session("linear", lr=1.5)
    captured_flags(session, 3)
    session.rewind(1)
    flags = captured_flags(session, 1)[0]
    assert all(flag is None for flag in flags.values()), flags


def test_every_scenario_sends_layers_on_a_captured_step_only() -> None:
    for scenario in ("linear", "mlp", "classify", "charlm"):
        session = make_session(scenario)
        events = [e for _ in range(5) for e in phase_events(session.step("phase", 1))]
        assert [("layers" in e) for e in events] == [False, False, False, False, True]
        names = [s["name"] for s in events[-1]["layers"]]
        assert names == session.session_event()["parameters"]


def test_step_norms_of_all_parameters_at_once_are_torchs_norms() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 70), nn.Tanh(), nn.Linear(70, 1))
    frozen = nn.Parameter(torch.randn(3))  # no .grad: its grad norm is None
    model(torch.randn(16, 5)).pow(2).mean().backward()
    params = [*model.parameters(), frozen]
    before = [p.detach().clone() for p in params]
    torch.optim.SGD(params, lr=0.1).step()
    norms = step_norms(before, params)
    for param, start, (value_norm, update_norm, grad_norm) in zip(
        params, before, norms, strict=True
    ):
        assert value_norm == float(torch.linalg.vector_norm(start.double()))
        delta = (param.detach() - start).double()
        assert update_norm == float(torch.linalg.vector_norm(delta))
        if param.grad is None:
            assert grad_norm is None
        else:
            assert grad_norm == float(torch.linalg.vector_norm(param.grad.double()))
    assert norms[-1][1] == 0.0 and norms[-1][2] is None
