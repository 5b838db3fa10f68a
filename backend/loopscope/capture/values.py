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


_TORCH_DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}
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
    detached = tensor.detach()
    if detached.layout != torch.strided:  # a sparse .grad (nn.Embedding(sparse=True))
        detached = detached.to_dense()
    shape = list(detached.shape)
    dtype = _TORCH_DTYPES.get(detached.dtype) or str(detached.dtype).removeprefix("torch.")
    if detached.numel() <= cap:
        if detached.dtype == torch.bfloat16:  # numpy has no bfloat16 (CPU autocast makes it)
            detached = detached.float()  # exact: every bfloat16 is a float32
        array = detached.numpy(force=True)  # on the CPU; shares memory when it can
        return {"shape": shape, "dtype": dtype, "values": _numbers(array.ravel().copy())}
    # A summary is worked out now, by torch on the tensor's own device: no copy to numpy.
    return {"shape": shape, "dtype": dtype, "summary": summarize_tensor(detached)}


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

    def put(self, slot: str, tensor: torch.Tensor, value: TensorValue) -> None:
        """Store `value` as the slot's value of `tensor` at its current version (the caller
        knows it is what tensor_value gives: e.g. the value of a tensor of the same bits)."""
        self._slots[slot] = (tensor, tensor._version, value)

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
    """summarize_tensor of a numpy array (shares its memory)."""
    return summarize_tensor(torch.from_numpy(flat))


def summarize_tensor(tensor: torch.Tensor) -> TensorSummary:
    """Shape-free statistics of a large tensor: min/max/mean/std over finite values, a histogram.

    Summaries run on every captured phase of a large model, so each statistic is one
    vectorized pass of torch over the tensor, with no copy of it: the extremes by
    `aminmax` in the tensor's own dtype (exact, and NaN or ±inf show there, so the usual
    all-finite tensor is never copied through a mask), the sums of the mean and the std
    accumulated in float64 a chunk at a time, the bins as one small integer per value."""
    flat = tensor.detach().reshape(-1)
    if not flat.is_floating_point():
        flat = flat.double()
    elif flat.dtype not in (torch.float32, torch.float64):
        flat = flat.float()  # half precision: statistics in float32
    finite = flat
    if flat.numel():
        low_t, high_t = torch.aminmax(flat)
        low, high = float(low_t), float(high_t)
        if not (math.isfinite(low) and math.isfinite(high)):
            finite = flat[torch.isfinite(flat)]  # NaN or ±inf somewhere: statistics of the rest
            if finite.numel():
                low_t, high_t = torch.aminmax(finite)
                low, high = float(low_t), float(high_t)
    if finite.numel():
        total, squares = _sums(finite)
        mean = total / finite.numel()
        # E[x²] - mean², both summed in float64: the cancellation costs digits only when
        # |mean| ≫ std, far below what the page shows.
        std = math.sqrt(max(squares / finite.numel() - mean * mean, 0.0))
        top = high if high > low else low + 1.0  # one distinct value: a bin of width 1
        counts = _counts(finite, low, top)
        # A float64 tensor's span may pass the largest double: its edges then say so.
        edges = [encode_float(float(e)) for e in edges_of(low, top)]
    else:
        low = high = mean = std = math.nan
        counts, edges = [0] * HISTOGRAM_BINS, [0.0] * (HISTOGRAM_BINS + 1)
    first = tensor.detach().reshape(-1)[:FIRST_VALUES].numpy(force=True).copy()
    return {
        "numel": int(flat.numel()),
        "min": encode_float(low),
        "max": encode_float(high),
        "mean": encode_float(mean),
        "std": encode_float(std),
        "histogram": {"edges": edges, "counts": counts},
        "first": _numbers(first),
    }


def edges_of(low: float, top: float) -> list[Float]:
    """The HISTOGRAM_BINS + 1 edges of equal bins over [low, top] (both finite, low < top)."""
    width = (top - low) / HISTOGRAM_BINS
    edges: list[Float] = [low + i * width for i in range(HISTOGRAM_BINS)]
    edges.append(top)
    return edges


# Float64 sums are taken over chunks of this many values copied into one small buffer
# (it stays in cache), rather than over a float64 copy of a large tensor.
_CHUNK = 1 << 16


def _sums(flat: torch.Tensor) -> tuple[float, float]:
    """Σx and Σx² of a 1-d float tensor, accumulated in float64."""
    if flat.dtype == torch.float64:
        return float(flat.sum()), float(torch.dot(flat, flat))
    buffer = torch.empty(min(flat.numel(), _CHUNK), dtype=torch.float64, device=flat.device)
    total = squares = 0.0
    for chunk in flat.split(_CHUNK):
        part = buffer[: chunk.numel()]
        part.copy_(chunk)
        total += float(part.sum())
        squares += float(torch.dot(part, part))
    return total, squares


def _counts(values: torch.Tensor, low: float, top: float) -> list[int]:
    """Counts of HISTOGRAM_BINS equal bins over [low, top] (the extremes of `values`, all
    finite), the last bin closed as numpy's: a value's bin is ⌊(v - low) / width⌋, worked
    out in the values' own precision (a value on an edge may fall either side of it)."""
    scale = HISTOGRAM_BINS / (top - low)
    if values.dtype != torch.float64 and not math.isfinite(float(np.float32(scale))):
        values = values.double()  # a span too small for float32's reciprocal
    shifted = torch.sub(values, low)
    # Bins 0..16 (16: the maximum, or a value rounded onto the top edge) as int8, which
    # torch converts to far faster than to uint8; no clamp: bin 16 is folded in below.
    bins = shifted.mul_(scale).to(torch.int8)
    return _bincount17(bins)


def _bincount17(bins: torch.Tensor) -> list[int]:
    """HISTOGRAM_BINS counts of int8 bin ids 0..HISTOGRAM_BINS (the last one counted in the
    last bin). bincount's loop is scalar, so it runs over two ids at a time: a pair of bytes
    read as one int16 (< 17·256) is a cell of a 17 × 256 table whose row and column sums
    give the counts of either byte, whichever order the machine stores them in."""
    n = bins.numel()
    tail = None
    if n % 2:
        tail, bins = int(bins[-1]), bins[:-1]
    ids = HISTOGRAM_BINS + 1
    pairs = torch.bincount(bins.view(torch.int16), minlength=ids * 256)
    table = pairs.view(ids, 256)[:, :ids]
    counts = (table.sum(0) + table.sum(1)).tolist()
    if tail is not None:
        counts[tail] += 1
    counts[HISTOGRAM_BINS - 1] += counts.pop()
    return [int(c) for c in counts]


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
