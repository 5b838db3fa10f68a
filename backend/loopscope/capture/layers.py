"""Per-parameter health of one optimizer step, computed by torch (pure; reads, never writes).

For every parameter: a histogram of its values and of its .grad, the norm of the gradient,
and the update-to-value ratio ‖Δw‖ / ‖w‖ of the step (Δw = after − before), the usual check
that training moves each layer at a sane pace. A few hundred bytes per parameter whatever
its size, so a big model's step frame stays small.

Flags (thresholds on the ratio, with the gradient's finiteness):
- "exploding": the gradient is not finite, or the step moved the weights by more than
  EXPLODING = 10 % of their own norm — a few such steps and the layer is somewhere else;
- "vanishing": the step moved the weights by less than VANISHING = 1e-6 of their norm —
  a million such steps to change the layer by its own size, so it has all but stopped
  learning (a ratio around 1e-3 is the usual healthy pace).
A parameter whose norm is zero has no ratio and is not flagged by it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import torch

from .values import HISTOGRAM_BINS, encode_float

if TYPE_CHECKING:
    from ..protocol import Histogram, LayerStats

EXPLODING = 1e-1
VANISHING = 1e-6


def histogram(tensor: torch.Tensor) -> Histogram:
    """HISTOGRAM_BINS equal bins over [min, max] of the finite values (torch.histc)."""
    flat = tensor.detach().reshape(-1).float()
    finite = flat[torch.isfinite(flat)] if not bool(torch.isfinite(flat).all()) else flat
    if not finite.numel():
        return {"edges": [], "counts": []}
    low, high = float(finite.min()), float(finite.max())
    top = high if high > low else low + 1.0  # one distinct value: a bin of width 1
    counts = torch.histc(finite.double(), bins=HISTOGRAM_BINS, min=low, max=top)
    edges = torch.linspace(low, top, HISTOGRAM_BINS + 1, dtype=torch.float64)
    return {
        "edges": [encode_float(e) for e in edges.tolist()],
        "counts": [int(c) for c in counts.tolist()],
    }


def _norm(tensor: torch.Tensor) -> float:
    return float(torch.linalg.vector_norm(tensor.detach().double()))


def flag_of(
    grad_norm: float | None, ratio: float | None
) -> Literal["exploding", "vanishing"] | None:
    """The flag of a step (see the module's docstring for the thresholds and why)."""
    if grad_norm is not None and not math.isfinite(grad_norm):
        return "exploding"
    if ratio is None or not math.isfinite(ratio):
        return "exploding" if ratio is not None else None
    if ratio > EXPLODING:
        return "exploding"
    if ratio < VANISHING:
        return "vanishing"
    return None


def layer_stats(name: str, before: torch.Tensor, param: torch.Tensor) -> LayerStats:
    """One parameter's LayerStats after a step that took it from `before` to `param`."""
    grad = param.grad
    value_norm = _norm(before)
    update_norm = _norm(param.detach() - before)
    grad_norm = None if grad is None else _norm(grad)
    ratio = update_norm / value_norm if value_norm > 0 else None
    return {
        "name": name,
        "numel": param.numel(),
        "value_norm": encode_float(value_norm),
        "grad_norm": None if grad_norm is None else encode_float(grad_norm),
        "update_norm": encode_float(update_norm),
        "ratio": None if ratio is None else encode_float(ratio),
        "flag": flag_of(grad_norm, ratio),
        "values": histogram(param),
        "grads": None if grad is None else histogram(grad),
    }
