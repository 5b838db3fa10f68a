"""Per-parameter health of a step: histograms, norms, ‖Δw‖/‖w‖ and flags, against torch."""

from __future__ import annotations

import math

import torch
from torch import nn

from loopscope.capture.layers import EXPLODING, VANISHING, flag_of, histogram, layer_stats
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
    assert flag_of(1.0, 1e-3) is None
    assert flag_of(1.0, EXPLODING * 2) == "exploding"
    assert flag_of(1.0, VANISHING / 2) == "vanishing"
    assert flag_of(math.inf, 1e-3) == "exploding"
    assert flag_of(None, None) is None


def test_a_huge_learning_rate_is_flagged_exploding_a_tiny_one_vanishing() -> None:
    for lr, flag in ((10.0, "exploding"), (1e-9, "vanishing")):
        session = make_session("mlp", optimizer="sgd", lr=lr)
        step = phase_events(session.step("phase", 5))[-1]
        assert step["phase"] == "step"
        flags = {s["name"]: s["flag"] for s in step["layers"]}
        weights = [n for n in flags if n.endswith("weight")]
        assert weights and all(flags[n] == flag for n in weights), (lr, flags)


def test_every_scenario_sends_layers_on_a_captured_step_only() -> None:
    for scenario in ("linear", "mlp", "classify", "charlm"):
        session = make_session(scenario)
        events = [e for _ in range(5) for e in phase_events(session.step("phase", 1))]
        assert [("layers" in e) for e in events] == [False, False, False, False, True]
        names = [s["name"] for s in events[-1]["layers"]]
        assert names == session.session_event()["parameters"]
