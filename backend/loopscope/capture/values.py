"""Tensor → wire values: exact float32 when small, a summary when large (pure).

Finite float32 values are handed to orjson as a numpy float32 array, which it
writes as the shortest decimal that converts back to the same float32.  JSON has
no NaN or infinities, so a tensor holding any is sent as a list in which those
are the strings "NaN", "Infinity" and "-Infinity".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

if TYPE_CHECKING:
    from ..protocol import Float, TensorSummary, TensorValue

NAN: Literal["NaN"] = "NaN"
POS_INF: Literal["Infinity"] = "Infinity"
NEG_INF: Literal["-Infinity"] = "-Infinity"
HISTOGRAM_BINS = 16
FIRST_VALUES = 8


def encode_float(value: float) -> Float:
    """One Python float as a wire number, non-finite as its string."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return NAN
    return POS_INF if value > 0 else NEG_INF


def decode_float(value: float | str) -> float:
    """Inverse of encode_float (for tests and clients written in Python)."""
    if isinstance(value, str):
        return {NAN: math.nan, POS_INF: math.inf, NEG_INF: -math.inf}[value]
    return float(value)


_DTYPES = {np.dtype(t): t.__name__ for t in (np.float32, np.float64, np.int64)}
_FLOAT32 = np.dtype(np.float32)
# Up to this size a Python sum decides finiteness faster than numpy's isfinite().all().
_SMALL = 16


def _all_finite(flat: np.ndarray) -> bool:
    """True when every element of a float array is finite.  Summed as Python floats
    (doubles), a few float32 values cannot overflow, so that sum is finite exactly when
    every element is."""
    if flat.size <= _SMALL:
        return math.isfinite(sum(flat.tolist()))
    return bool(np.isfinite(flat).all())


def _numbers(array: np.ndarray) -> Any:
    """A flat array as something orjson writes exactly: the array itself, or a list."""
    if array.dtype is _FLOAT32 and _all_finite(array):
        return array
    if array.dtype.kind == "f":
        return [encode_float(v) for v in array.tolist()]
    return array.tolist()


def tensor_value(tensor: torch.Tensor, cap: int = 4096) -> TensorValue:
    """A tensor as a TensorValue dict: all values (row-major) up to `cap` elements, else a summary.

    The numbers are copied out now, so later in-place updates cannot change what is sent.
    """
    bfloat16 = tensor.dtype == torch.bfloat16
    if bfloat16:  # numpy has no bfloat16 (autocast on the CPU makes it): read as float32
        tensor = tensor.detach().float()
    array = tensor.numpy(force=True)  # detached, on the CPU; shares memory when it can
    flat = array.ravel().copy()
    shape = list(array.shape)
    dtype = _DTYPES.get(array.dtype) or str(tensor.dtype).removeprefix("torch.")
    if bfloat16:
        dtype = "bfloat16"
    if flat.size <= cap:
        return {"shape": shape, "dtype": dtype, "values": _numbers(flat)}
    return {"shape": shape, "dtype": dtype, "summary": summarize_array(flat)}


class ValueCache:
    """tensor_value of a few named slots ("linear.weight", "grad:linear.weight") whose tensors
    rarely change.  A slot's value is reused while it holds the same tensor object at the
    same `_version` (an in-place update bumps the version), so a stale value is never
    served; each slot keeps only its current tensor, so old gradients are not held."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._slots: dict[str, tuple[torch.Tensor, int, TensorValue]] = {}

    def get(self, slot: str, tensor: torch.Tensor | None) -> TensorValue | None:
        """The (possibly cached) TensorValue of `tensor` in `slot`; None for None."""
        if tensor is None:
            self._slots.pop(slot, None)
            return None
        entry = self._slots.get(slot)
        version = tensor._version
        if entry is not None and entry[0] is tensor and entry[1] == version:
            return entry[2]
        value = tensor_value(tensor, self.cap)
        self._slots[slot] = (tensor, version, value)
        return value

    def peek(self, slot: str, tensor: torch.Tensor) -> TensorValue | None:
        """The slot's value when it still holds `tensor` at its current version, else None."""
        entry = self._slots.get(slot)
        if entry is not None and entry[0] is tensor and entry[1] == tensor._version:
            return entry[2]
        return None

    def param(self, name: str, tensor: torch.Tensor) -> TensorValue:
        """A parameter's value (or any other tensor that is never None)."""
        value = self.get(name, tensor)
        assert value is not None
        return value

    def grad(self, name: str, tensor: torch.Tensor) -> TensorValue | None:
        """A parameter's .grad (None when it is None)."""
        return self.get(f"grad:{name}", tensor.grad)


def optional_tensor_value(tensor: torch.Tensor | None, cap: int = 4096) -> TensorValue | None:
    """tensor_value, or None for a missing tensor (a .grad that is None)."""
    return None if tensor is None else tensor_value(tensor, cap)


def summarize_array(flat: np.ndarray) -> TensorSummary:
    """Shape-free statistics of a large array: min/max/mean/std over finite values, a histogram.

    Few passes, each a vectorized loop (summaries run on every captured phase of a large
    model): the extremes in the array's own dtype (exact, and NaN or ±inf show there, so
    the usual all-finite array is never copied through a mask), the sums of the mean and
    the std accumulated in float64, the bins as one small integer per value."""
    data = flat if flat.dtype.kind == "f" else flat.astype(np.float64)
    finite = data
    if data.size and not (math.isfinite(data.min()) and math.isfinite(data.max())):
        finite = data[np.isfinite(data)]  # NaN or ±inf somewhere: statistics of the rest
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        mean = float(np.add.reduce(finite, dtype=np.float64)) / finite.size
        # E[x²] - mean², both summed in float64 without a float64 copy of the array: the
        # cancellation costs digits only when |mean| ≫ std, far below what the page shows.
        squares = float(np.einsum("i,i", finite, finite, dtype=np.float64)) / finite.size
        std = math.sqrt(max(squares - mean * mean, 0.0))
        top = high if high > low else low + 1.0  # one distinct value: a bin of width 1
        counts = _counts(finite, low, top)
        edges = np.linspace(low, top, HISTOGRAM_BINS + 1)
    else:
        low = high = mean = std = math.nan
        counts, edges = [0] * HISTOGRAM_BINS, np.zeros(HISTOGRAM_BINS + 1)
    return {
        "numel": int(flat.size),
        "min": encode_float(low),
        "max": encode_float(high),
        "mean": encode_float(mean),
        "std": encode_float(std),
        "histogram": {"edges": [encode_float(e) for e in edges.tolist()], "counts": counts},
        "first": _numbers(flat[:FIRST_VALUES].copy()),
    }


def _counts(values: np.ndarray, low: float, top: float) -> list[int]:
    """Counts of HISTOGRAM_BINS equal bins over [low, top] (the extremes of `values`, all
    finite), the last bin closed as numpy's: a value's bin is ⌊(v - low) / width⌋, worked
    out in the values' own precision (a value on an edge may fall either side of it)."""
    scale = HISTOGRAM_BINS / (top - low)
    if values.dtype != np.float64 and not math.isfinite(float(values.dtype.type(scale))):
        values = values.astype(np.float64)  # a span too small for float32's reciprocal
    shifted = values - values.dtype.type(low)
    shifted *= values.dtype.type(scale)
    np.minimum(shifted, HISTOGRAM_BINS - 1, out=shifted)  # the maximum: the last bin
    bins = shifted.astype(np.uint8)
    return [int(c) for c in np.bincount(bins, minlength=HISTOGRAM_BINS).tolist()]


def value_is_finite(value: TensorValue) -> bool:
    """True when a TensorValue holds only finite numbers (read off its encoding)."""
    # The encoder may hand orjson a numpy array where the wire has a list (the same JSON).
    values: Any = value.get("values")
    if isinstance(values, np.ndarray):
        return True  # arrays are only sent as such when finite (see _numbers)
    if values is not None:
        return not any(isinstance(v, str) for v in values)
    summary = value.get("summary")  # its statistics cover the finite values only
    assert summary is not None
    return bool(sum(summary["histogram"]["counts"]) == summary["numel"])
