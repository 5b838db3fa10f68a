"""16 equal bins of a few values, counted as torch.histc counts them, without torch.

A parameter sent in full is already a float array in its frame: binning it in torch again
(a float64 copy, its extremes, `torch.histc`) costs ~35 µs a call even for one element, and
a captured step bins every parameter and its .grad. Here the counts come from the values the
frame holds, by the arithmetic of histc on doubles (ATen's HistogramKernel, linear
interpolation): a value v in [low, top] goes to bin ⌊(v − low) · BINS / (top − low)⌋ in
double precision, and a value that lands on BINS (the top edge) to the last bin. A float32
value is exact as a double, so the bins are histc's over the tensor's `.double()`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .values import HISTOGRAM_BINS, decode_float, edges_of

if TYPE_CHECKING:
    from ..protocol import Histogram

# Up to this many values a Python loop is faster than numpy's fixed cost per call.
_PYTHON_LOOP = 64


def finite_values(values: Any) -> np.ndarray | list[float]:
    """The finite numbers of a TensorValue's `values` (an array the encoder checked to be
    finite, or a list in which a non-finite number is its string)."""
    if isinstance(values, np.ndarray):
        return values.reshape(-1)
    numbers = [decode_float(v) for v in values]
    return [v for v in numbers if math.isfinite(v)]


def histc_counts(values: np.ndarray | list[float], low: float, top: float) -> list[int]:
    """Counts of HISTOGRAM_BINS bins over [low, top] (low < top, every value inside and
    finite), the bin of each value as torch.histc picks it on doubles."""
    span = top - low
    last = HISTOGRAM_BINS - 1
    if len(values) <= _PYTHON_LOOP:
        counts = [0] * HISTOGRAM_BINS
        for v in values.tolist() if isinstance(values, np.ndarray) else values:
            pos = int((v - low) * HISTOGRAM_BINS / span)
            counts[pos if pos < last else last] += 1
        return counts
    # The same three double operations, elementwise (IEEE, so the same bits), truncated.
    array = np.asarray(values, dtype=np.float64)
    bins = ((array - low) * HISTOGRAM_BINS / span).astype(np.int64)
    np.minimum(bins, last, out=bins)
    return [int(c) for c in np.bincount(bins, minlength=HISTOGRAM_BINS).tolist()]


def histogram_of(values: Any) -> Histogram | None:
    """The histogram of a TensorValue's `values` over the extremes of its finite numbers
    (bins of width 1 from the value when they are all equal; none when none is finite);
    None for extremes too far apart or too large for the arithmetic above."""
    finite = finite_values(values)
    if isinstance(finite, np.ndarray) and finite.size <= _PYTHON_LOOP:
        finite = finite.tolist()  # a few numbers: Python's min and max beat numpy's calls
    if not len(finite):
        return {"edges": [], "counts": []}
    if isinstance(finite, np.ndarray):
        low, high = float(finite.min()), float(finite.max())
    else:
        low, high = min(finite), max(finite)
    top = high if high > low else low + 1.0  # one distinct value: a bin of width 1
    if not 0 < top - low < math.inf:  # a span a double cannot hold (or that 1.0 cannot widen)
        return None
    # Finite extremes and span: every edge is a finite number, written as it is.
    return {"edges": edges_of(low, top), "counts": histc_counts(finite, low, top)}
