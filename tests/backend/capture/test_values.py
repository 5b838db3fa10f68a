"""Tensor → wire values: float32 exact through orjson, non-finite as strings, summaries."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from loopscope.capture.values import (
    FIRST_VALUES,
    HISTOGRAM_BINS,
    ValueCache,
    decode_float,
    encode_float,
    optional_tensor_value,
    summarize_array,
    summarize_tensor,
    tensor_value,
    value_is_finite,
)

from .._helpers import EDGES, F32_MAX, F32_TINY, decode, wire

any_f32 = st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)
# Small enough that no sum of a few hundred of them overflows float32.
BOUND = float(np.float32(1e30))
bounded_f32 = st.floats(
    width=32, min_value=-BOUND, max_value=BOUND, allow_nan=False, allow_subnormal=True
)


def roundtrip(tensor: torch.Tensor, cap: int = 4096) -> torch.Tensor:
    """tensor → TensorValue → JSON text (as the socket sends it) → float32 tensor."""
    return decode(wire(tensor_value(tensor, cap)))


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal including the sign of zero (torch.equal treats -0.0 == 0.0)."""
    return a.shape == b.shape and torch.equal(a.view(torch.int32), b.view(torch.int32))


@settings(max_examples=300, deadline=None)
@given(st.lists(bounded_f32, min_size=1, max_size=64))
def test_finite_float32_roundtrip_is_exact(values: list[float]) -> None:
    tensor = torch.tensor(values, dtype=torch.float32)
    assert same_bits(roundtrip(tensor), tensor)


@settings(max_examples=300, deadline=None)
@given(st.lists(any_f32, min_size=1, max_size=64))
def test_any_float32_roundtrip_is_exact(values: list[float]) -> None:
    tensor = torch.tensor(values, dtype=torch.float32)
    assert same_bits(roundtrip(tensor), tensor)


def test_edge_values_roundtrip_exactly_with_sign_of_zero() -> None:
    tensor = torch.tensor(EDGES, dtype=torch.float32)
    back = roundtrip(tensor)
    assert same_bits(back, tensor)
    assert torch.signbit(back[1]) and not torch.signbit(back[0])


def test_every_bit_pattern_sample_roundtrips() -> None:
    """A dense random sample of all 2**32 float32 bit patterns (finite ones)."""
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**32, size=50_000, dtype=np.uint64).astype(np.uint32)
    array = bits.view(np.float32)
    array = array[np.isfinite(array) & (np.abs(array) < 1e34)]  # no overflowing sum
    tensor = torch.from_numpy(array.copy())
    assert same_bits(roundtrip(tensor, cap=len(array)), tensor)


def test_huge_finite_values_encode_without_warning() -> None:
    tensor = torch.tensor([F32_MAX, F32_MAX, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = tensor_value(tensor)
    assert same_bits(decode(wire(value)), tensor)


def test_non_finite_values_are_strings_and_the_rest_stays_exact() -> None:
    tensor = torch.tensor([math.nan, math.inf, -math.inf, 0.1, -0.0, F32_TINY])
    value = wire(tensor_value(tensor))
    assert value["values"][:3] == ["NaN", "Infinity", "-Infinity"]
    back = decode(value)
    assert torch.isnan(back[0]) and back[1] == math.inf and back[2] == -math.inf
    assert same_bits(back[3:], tensor[3:])


@pytest.mark.parametrize("size", [1, 16, 17, 64, 1000, 4096])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_one_non_finite_element_is_found_at_any_size_and_position(size: int, bad: float) -> None:
    """Small arrays are checked by a Python sum, larger ones by numpy: both must notice,
    and huge finite values (whose float32 sum would overflow) still count as finite."""
    for position in sorted({0, size // 2, size - 1}):
        array = np.full(size, F32_MAX, dtype=np.float32)  # huge but finite neighbours
        array[position] = bad
        value = wire(tensor_value(torch.from_numpy(array), cap=size))
        assert isinstance(value["values"][position], str), (size, position)
        assert not value_is_finite(tensor_value(torch.from_numpy(array), cap=size))
    huge = torch.full((size,), F32_MAX)
    assert value_is_finite(tensor_value(huge, cap=size))  # their sum overflows float32 only


def test_encode_and_decode_float() -> None:
    assert encode_float(math.nan) == "NaN"
    assert encode_float(math.inf) == "Infinity"
    assert encode_float(-math.inf) == "-Infinity"
    assert encode_float(1.5) == 1.5
    assert math.isnan(decode_float("NaN"))
    assert decode_float("-Infinity") == -math.inf
    assert decode_float(2) == 2.0


def test_shape_dtype_and_row_major_order() -> None:
    tensor = torch.arange(12, dtype=torch.float32).reshape(3, 4).t()  # not contiguous
    value = wire(tensor_value(tensor))
    assert value["shape"] == [4, 3] and value["dtype"] == "float32"
    assert value["values"] == tensor.reshape(-1).tolist()
    labels = wire(tensor_value(torch.tensor([0, 1, 1])))
    assert labels == {"shape": [3], "dtype": "int64", "values": [0, 1, 1]}
    assert optional_tensor_value(None) is None


def test_value_is_a_copy_not_a_view() -> None:
    tensor = torch.ones(3)
    value = tensor_value(tensor)
    tensor.add_(1)
    assert wire(value)["values"] == [1.0, 1.0, 1.0]


def test_tensor_requiring_grad_is_encoded_without_warning() -> None:
    param = torch.nn.Parameter(torch.tensor([0.5, -2.0]))
    assert decode(wire(tensor_value(param))).tolist() == [0.5, -2.0]


@pytest.mark.parametrize("cap", [1, 10, 99])
def test_over_the_cap_becomes_a_correct_summary(cap: int) -> None:
    torch.manual_seed(0)
    tensor = torch.randn(10, 10) * 3 + 1
    value = wire(tensor_value(tensor, cap))
    assert value["shape"] == [10, 10] and value.get("values") is None
    summary = value["summary"]
    flat = tensor.reshape(-1)
    assert summary["numel"] == 100
    assert torch.equal(torch.tensor(summary["min"], dtype=torch.float32), flat.min())
    assert torch.equal(torch.tensor(summary["max"], dtype=torch.float32), flat.max())
    assert math.isclose(summary["mean"], flat.double().mean().item(), rel_tol=1e-12)
    assert math.isclose(summary["std"], flat.double().std(correction=0).item(), rel_tol=1e-12)
    first = torch.tensor(summary["first"], dtype=torch.float32)
    assert torch.equal(first, flat[:FIRST_VALUES])
    histogram = summary["histogram"]
    assert len(histogram["counts"]) == HISTOGRAM_BINS
    assert len(histogram["edges"]) == HISTOGRAM_BINS + 1
    assert sum(histogram["counts"]) == 100
    assert histogram["edges"][0] == summary["min"] and histogram["edges"][-1] == summary["max"]
    assert value_is_finite(tensor_value(tensor, cap))


def test_summary_counts_only_finite_values() -> None:
    tensor = torch.tensor([1.0, 2.0, math.nan, math.inf, -math.inf, 3.0])
    value = tensor_value(tensor, cap=2)
    summary = wire(value)["summary"]
    assert (summary["numel"], summary["min"], summary["max"], summary["mean"]) == (6, 1, 3, 2)
    assert sum(summary["histogram"]["counts"]) == 3
    assert summary["first"][2:5] == ["NaN", "Infinity", "-Infinity"]
    assert not value_is_finite(value)
    all_nan = wire(tensor_value(torch.full((5,), math.nan), cap=2))["summary"]
    assert all_nan["min"] == "NaN" and sum(all_nan["histogram"]["counts"]) == 0


def test_summary_of_a_constant_tensor() -> None:
    summary = summarize_array(np.full(20, 2.5, dtype=np.float32))
    assert (summary["min"], summary["max"], summary["std"]) == (2.5, 2.5, 0.0)
    assert sum(summary["histogram"]["counts"]) == 20


def test_summary_histogram_when_the_maximum_is_zero() -> None:
    tensor = -torch.arange(100, dtype=torch.float32)  # -99 .. 0
    value = tensor_value(tensor, cap=10)
    summary = wire(value)["summary"]
    assert summary["max"] == 0.0
    assert summary["histogram"]["edges"][-1] == 0.0
    assert sum(summary["histogram"]["counts"]) == 100
    assert value_is_finite(value)


def test_value_is_finite_reads_the_encoding() -> None:
    assert value_is_finite(tensor_value(torch.ones(3)))
    assert not value_is_finite(tensor_value(torch.tensor([1.0, math.inf])))
    assert not value_is_finite(tensor_value(torch.tensor([math.nan])))


def test_value_cache_never_serves_a_stale_value() -> None:
    cache = ValueCache(cap=16)
    tensor = torch.zeros(2)
    first = cache.get("t", tensor)
    assert cache.get("t", tensor) is first  # unchanged: served from the cache
    tensor.add_(1)  # in place: bumps _version
    assert wire(cache.get("t", tensor))["values"] == [1.0, 1.0]
    with torch.no_grad():
        tensor.copy_(torch.tensor([3.0, 4.0]))
    assert wire(cache.get("t", tensor))["values"] == [3.0, 4.0]
    other = torch.zeros(2)  # another tensor in the same slot (a new .grad): re-encoded
    assert wire(cache.get("t", other))["values"] == [0.0, 0.0]
    assert cache.get("t", None) is None


@pytest.mark.parametrize("size", [1, 2, 3, 17, 4097, 65537, 259841])
def test_summary_counts_are_the_bins_of_each_value_counted_one_by_one(size: int) -> None:
    # The counts go through pairs of int8 bin ids; the oracle bins every value with the
    # same float32 arithmetic and counts them with a plain int64 bincount.
    g = torch.Generator().manual_seed(size)
    for tensor in (
        torch.randn(size, generator=g),
        torch.randint(-3, 4, (size,), generator=g).float(),  # many values on edges
        torch.full((size,), 0.25),
    ):
        summary = summarize_tensor(tensor)
        low, high = tensor.min(), tensor.max()
        top = high if high > low else low + 1.0
        scale = HISTOGRAM_BINS / (float(top) - float(low))
        bins = ((tensor - float(low)) * scale).clamp(max=HISTOGRAM_BINS - 1).long()
        expected = torch.bincount(bins, minlength=HISTOGRAM_BINS).tolist()
        assert summary["histogram"]["counts"] == expected
        assert sum(expected) == size
