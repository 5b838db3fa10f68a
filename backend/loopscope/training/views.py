"""What the current model predicts, for the charts: computed by the model itself, under no_grad.

Evaluating the model on a grid builds no graph, draws no random numbers and writes no
parameter, so it cannot change the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ..capture.values import tensor_value
from .scenarios import FitKind

if TYPE_CHECKING:
    from ..protocol import FitView, Landscape

CURVE_POINTS = 128
REGION_SIZE = 48
LANDSCAPE_SIZE = 64


def _padded_range(values: torch.Tensor, pad: float = 0.1) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    span = (high - low) or 1.0
    return low - pad * span, high + pad * span


class FitGrid:
    """Fit: the model's output on a grid over the data (a line, a curve, or class regions).

    The data never change during a run, so the grid and its wire value are made once;
    each `value()` only runs the model on it."""

    def __init__(self, kind: FitKind, x: torch.Tensor, cap: int) -> None:
        self.cap = cap
        self.kind = kind
        self.regions = kind == "regions"
        if self.regions:
            (x0, x1), (y0, y1) = _padded_range(x[:, 0]), _padded_range(x[:, 1])
            xs = torch.linspace(x0, x1, REGION_SIZE, device=x.device)
            ys = torch.linspace(y0, y1, REGION_SIZE, device=x.device)
            self.grid = torch.cartesian_prod(ys, xs).flip(1)  # row-major over y, then x
            self.size, self.extent = REGION_SIZE, [x0, x1, y0, y1]
        else:
            line = kind == "line"  # a straight line: its two ends are enough
            low, high = _padded_range(x[:, 0], 0.0 if line else 0.05)
            self.size = 2 if line else CURVE_POINTS
            self.grid = torch.linspace(low, high, self.size, device=x.device).unsqueeze(1)
            self.extent = [low, high]
        self.grid_value = tensor_value(self.grid, cap)

    def value(self, model: nn.Module) -> FitView:
        """The FitView of the model as it is now."""
        with torch.no_grad():
            output = model(self.grid)
            if self.regions:  # the probability of class 1 on each grid cell
                # Softmax over the classes of the transposed logits: torch's kernel runs along
                # the grid there (vectorized), ~5× faster than along a row of two classes;
                # the same formula, rounded by the vector exp instead of the scalar one.
                probs = torch.softmax(output.t(), dim=0)[1]
                output = probs.reshape(self.size, self.size)
        return {
            "kind": self.kind,
            "size": self.size,
            "extent": self.extent,
            "grid": self.grid_value,
            "output": tensor_value(output, self.cap),
        }


def loss_landscape(
    x: torch.Tensor, y: torch.Tensor, criterion: nn.Module, start: tuple[float, float], cap: int
) -> Landscape:
    """Loss of y = w·x + b over a (w, b) grid spanning the start and the least-squares optimum.

    Shapes: x, y (n, 1). The loss is the criterion's own reduction ('mean' MSE or L1),
    evaluated by torch for every grid point at once.
    """
    with torch.no_grad():
        # Least squares by the 2×2 normal equations, in float64 (deterministic, unlike lstsq).
        xs, ys = x.cpu().double().reshape(-1), y.cpu().double().reshape(-1)
        x_mean, y_mean = float(xs.mean()), float(ys.mean())
        var = float(((xs - x_mean) ** 2).sum())
        w_opt = float(((xs - x_mean) * (ys - y_mean)).sum()) / var if var else 0.0
        b_opt = y_mean - w_opt * x_mean
        w_lo, w_hi = min(start[0], w_opt), max(start[0], w_opt)
        b_lo, b_hi = min(start[1], b_opt), max(start[1], b_opt)
        w_pad, b_pad = 0.5 * (w_hi - w_lo) + 0.5, 0.5 * (b_hi - b_lo) + 0.5
        ws = torch.linspace(w_lo - w_pad, w_hi + w_pad, LANDSCAPE_SIZE, device=x.device)
        bs = torch.linspace(b_lo - b_pad, b_hi + b_pad, LANDSCAPE_SIZE, device=x.device)
        grid_b, grid_w = torch.meshgrid(bs, ws, indexing="ij")  # rows: b, columns: w
        pred = x * grid_w.reshape(1, -1) + grid_b.reshape(1, -1)  # (n, G*G)
        target = y.expand_as(pred)
        per_point = (
            nn.functional.l1_loss if isinstance(criterion, nn.L1Loss) else nn.functional.mse_loss
        )
        loss = per_point(pred, target, reduction="none").mean(dim=0)
    return {
        "w": tensor_value(ws, cap),
        "b": tensor_value(bs, cap),
        "loss": tensor_value(loss.reshape(LANDSCAPE_SIZE, LANDSCAPE_SIZE), cap),
        "optimum": [w_opt, b_opt],
    }
