"""Histograms binned from the values a frame sends: torch.histc on doubles is the oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from loopscope.capture.bins import histc_counts, histogram_of
from loopscope.capture.layers import histogram
from loopscope.capture.values import HISTOGRAM_BINS, tensor_value


def torch_counts(values: torch.Tensor, low: float, top: float) -> list[int]:
    counts = torch.histc(values.double(), bins=HISTOGRAM_BINS, min=low, max=top)
    return [int(c) for c in counts.tolist()]


def on_edges(size: int, seed: int) -> torch.Tensor:
    """Values on the interior edges of an awkward span and one float32 step either side,
    where the order of the double operations decides the bin; the extremes included."""
    rng = np.random.default_rng(seed)
    low = np.float32(rng.normal() * 10)
    top = np.float32(low + abs(rng.normal()) * 3 + 0.01)
    k = rng.integers(1, HISTOGRAM_BINS, size=size)
    edge = (float(low) + k * (float(top) - float(low)) / HISTOGRAM_BINS).astype(np.float32)
    up, down = np.nextafter(edge, np.float32(np.inf)), np.nextafter(edge, np.float32(-np.inf))
    picked = np.choose(rng.integers(0, 3, size=size), [edge, up, down])
    values = np.clip(picked, low, top).astype(np.float32)
    values[0], values[-1] = low, top
    return torch.from_numpy(values)


def cases(size: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    normal = torch.randn(size, generator=g)
    return [
        on_edges(size, seed),
        normal,
        normal * 1e-30,  # a span whose reciprocal is huge
        normal * 1e30,
        torch.rand(size, generator=g) + 1000.0,  # a narrow span far from zero
        # few distinct values on a grid: many land exactly on an edge, and on the top one
        torch.randint(0, 17, (size,), generator=g).float() / 16.0,
        torch.randint(0, 7, (size,), generator=g).float() * 0.1 - 0.3,
        torch.full((size,), -2.5),
    ]


@pytest.mark.parametrize("size", [1, 2, 7, 64, 65, 300, 4096])
def test_counts_are_torch_histc_counts_on_doubles(size: int) -> None:
    for seed in range(40):
        for tensor in cases(size, seed):
            array = tensor.numpy()
            low, high = float(array.min()), float(array.max())
            top = high if high > low else low + 1.0
            if top == low:  # 1.0 cannot widen a huge constant: see the last test
                continue
            expected = torch_counts(tensor, low, top)
            assert histc_counts(array, low, top) == expected  # numpy array
            assert histc_counts(array.tolist(), low, top) == expected  # list
            assert histc_counts(array[:64], low, top) == torch_counts(tensor[:64], low, top)


@pytest.mark.parametrize("size", [1, 5, 64, 65, 1000])
def test_histogram_of_a_sent_value_is_the_torch_histogram(size: int) -> None:
    for seed in range(3):
        for tensor in cases(size, seed):
            value = tensor_value(tensor, cap=4096)
            ours, theirs = histogram_of(value["values"]), histogram(tensor)
            if ours is None:  # left to torch: only a huge constant
                assert float(tensor.min()) == float(tensor.max()) and abs(float(tensor[0])) > 1e16
                continue
            assert ours["counts"] == theirs["counts"]
            assert ours["edges"][0] == theirs["edges"][0]
            assert ours["edges"][-1] == theirs["edges"][-1]
            # interior edges: the summaries' low + i·width, within rounding of torch.linspace
            for mine, torchs in zip(ours["edges"], theirs["edges"], strict=True):
                assert math.isclose(float(mine), float(torchs), rel_tol=1e-14, abs_tol=1e-300)


def test_non_finite_values_are_left_out_as_histc_leaves_them() -> None:
    tensor = torch.tensor([1.0, math.nan, 2.0, math.inf, -math.inf, 1.5])
    value = tensor_value(tensor)  # a list with strings: the wire form of non-finite values
    assert not isinstance(value["values"], np.ndarray)
    ours = histogram_of(value["values"])
    assert ours is not None and ours["counts"] == histogram(tensor)["counts"]
    assert sum(ours["counts"]) == 3
    assert histogram_of(tensor_value(torch.tensor([math.nan]))["values"]) == {
        "edges": [],
        "counts": [],
    }


def test_a_span_no_double_can_hold_is_left_to_torch() -> None:
    huge = np.array([-1e308, 1e308], dtype=np.float64)  # top - low overflows to inf
    assert histogram_of(huge) is None
    constant = np.full(3, 1e300)  # low + 1.0 == low: no bin width
    assert histogram_of(constant) is None
