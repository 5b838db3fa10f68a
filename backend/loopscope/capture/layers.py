"""Per-parameter health of one optimizer step, computed by torch (pure; reads, never writes).

For every parameter: a histogram of its values and of its .grad, the norm of the gradient,
and the update-to-value ratio ‖Δw‖ / ‖w‖ of the step (Δw = after − before), the usual check
that training moves each layer at a sane pace. A few hundred bytes per parameter whatever
its size, so a big model's step frame stays small.

Flags (`flag_layers`, on all of a step's parameters at once):
- "exploding": the gradient or the new value is not finite; or, since the run's previous
  captured step, the gradient's norm grew more than GROWTH = 10× while this step moved
  the weights by more than EXPLODING = 10 % of their norm — large and still growing.
  A large ratio alone is not flagged: a weight that starts near zero (linear's first
  step) moves by many times its own norm while training is perfectly healthy.
- "vanishing": the gradient's RMS (‖g‖ / √numel, so a matrix and a bias compare fairly) is
  under FADED = 1/1000 of the largest RMS among the model's gradients in the same step:
  the gradient has faded on its way back through the layers (deep sigmoid stacks).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import torch

from .bins import histogram_of
from .values import HISTOGRAM_BINS, decode_float, encode_float

if TYPE_CHECKING:
    from ..protocol import Histogram, LayerStats, TensorValue

EXPLODING = 1e-1
GROWTH = 10.0
FADED = 1e-3


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


# ‖before‖, ‖after − before‖ and ‖.grad‖ (None without one) of a parameter's step.
Norms = tuple[float, float, float | None]


def step_norms(before: list[torch.Tensor], params: list[torch.Tensor]) -> list[Norms]:
    """The Norms of every parameter of a step at once: one subtraction and one norm kernel
    over all of them (torch's foreach ops: per tensor, the bits of `_norm`), instead of
    four torch calls per parameter."""
    with torch.no_grad():
        after = [p.detach() for p in params]
        deltas = torch._foreach_sub(after, before) if after else []
        grads = [p.grad for p in params if p.grad is not None]
        tensors = list(before) + list(deltas) + grads
        found = torch._foreach_norm(tensors, 2, dtype=torch.float64) if tensors else []
        norms = [float(n) for n in found]
    n = len(params)
    out: list[Norms] = []
    g = 2 * n
    for i, param in enumerate(params):
        grad_norm = None
        if param.grad is not None:
            grad_norm, g = norms[g], g + 1
        out.append((norms[i], norms[n + i], grad_norm))
    return out


def flag_of(
    grad_norm: float | None,
    ratio: float | None,
    previous_grad_norm: float | None,
    grad_rms: float | None,
    largest_rms: float,
) -> Literal["exploding", "vanishing"] | None:
    """The flag of one parameter's step (the module's docstring says why): `previous_grad_norm`
    is its gradient norm at the run's previous captured step (None: none), `largest_rms` the
    largest gradient RMS among the step's parameters."""
    if grad_norm is not None and not math.isfinite(grad_norm):
        return "exploding"
    if ratio is not None and not math.isfinite(ratio):
        return "exploding"
    grew = (
        grad_norm is not None
        and previous_grad_norm is not None
        and grad_norm > GROWTH * previous_grad_norm
    )
    if grew and ratio is not None and ratio > EXPLODING:
        return "exploding"
    if grad_rms is not None and math.isfinite(largest_rms) and grad_rms < FADED * largest_rms:
        return "vanishing"
    return None


def _histogram(tensor: torch.Tensor, value: TensorValue | None) -> Histogram:
    """The histogram of `tensor`: its summary's, when the frame already sends it as one
    (the same bins over the same finite extremes), else binned from the values the frame
    sends (capture/bins.py, as histc bins them), else worked out here."""
    if value is not None and "values" in value:
        binned = histogram_of(value["values"])
        return histogram(tensor) if binned is None else binned
    summary = None if value is None else value.get("summary")
    if summary is None:
        return histogram(tensor)
    if not sum(summary["histogram"]["counts"]):
        return {"edges": [], "counts": []}  # no finite value (as histogram() says it)
    return summary["histogram"]


def layer_stats(
    name: str,
    before: torch.Tensor,
    param: torch.Tensor,
    value: TensorValue | None = None,
    grad_value: TensorValue | None = None,
    norms: Norms | None = None,
) -> LayerStats:
    """One parameter's LayerStats after a step that took it from `before` to `param`, its flag
    not set yet (`flag_layers`); `value` and `grad_value`: the frame's encodings of the
    parameter and its .grad, whose summaries' histograms are reused; `norms`: its
    `step_norms` when already worked out."""
    grad = param.grad
    if norms is None:
        norms = step_norms([before], [param])[0]
    value_norm, update_norm, grad_norm = norms
    ratio = update_norm / value_norm if value_norm > 0 else None
    return {
        "name": name,
        "numel": param.numel(),
        "value_norm": encode_float(value_norm),
        "grad_norm": None if grad_norm is None else encode_float(grad_norm),
        "update_norm": encode_float(update_norm),
        "ratio": None if ratio is None else encode_float(ratio),
        "flag": None,
        "values": _histogram(param, value),
        "grads": None if grad is None else _histogram(grad, grad_value),
    }


def mean_abs_change(before: torch.Tensor, param: torch.Tensor) -> float:
    """mean |after − before| over the elements, accumulated in float64."""
    return float((param.detach() - before).abs().sum(dtype=torch.float64)) / max(param.numel(), 1)


def flag_layers(stats: list[LayerStats], previous: dict[str, float]) -> None:
    """Set the flag of every parameter's stats of one step (`previous`: gradient norms at the
    run's previous captured step, by name)."""
    rms = {
        s["name"]: decode_float(s["grad_norm"]) / math.sqrt(max(s["numel"], 1))
        for s in stats
        if s["grad_norm"] is not None
    }
    finite = [r for r in rms.values() if math.isfinite(r)]
    largest = max(finite, default=math.nan)
    for s in stats:
        grad_norm = None if s["grad_norm"] is None else decode_float(s["grad_norm"])
        ratio = None if s["ratio"] is None else decode_float(s["ratio"])
        s["flag"] = flag_of(grad_norm, ratio, previous.get(s["name"]), rms.get(s["name"]), largest)
