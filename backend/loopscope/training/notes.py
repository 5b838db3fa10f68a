"""The notes' worked examples, done by torch on real objects (pure torch, no web code).

The notes compute by hand: one SGD step (w = 1.5, grad = -0.8, lr = 0.01 -> 1.508) and one
MSE ([2, 4, 6] against [1.8, 4.2, 5.5] -> 0.11). Here torch does the same on a parameter
and an optimizer, so the page can put torch's result next to the notes' arithmetic, with
the learner's own numbers. Two things the notes' diagram only names are shown too: the
optimizer's `state_dict()` / `load_state_dict()` (save, change, restore), and why
`zero_grad()` leaves `.grad` as None rather than 0 (`set_to_none`, the default since 2.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class SgdExample:
    """One `optimizer.step()` of plain SGD on a one-number parameter."""

    before: float
    grad: float
    lr: float
    after: float  # torch's float32 result
    by_hand: float  # the notes' arithmetic, w - lr * grad, in Python's float64


def sgd_example(w: float = 1.5, grad: float = -0.8, lr: float = 0.01) -> SgdExample:
    """Set w and its .grad, run torch.optim.SGD's step(), read w back."""
    param = nn.Parameter(torch.tensor([w]))
    param.grad = torch.tensor([grad])
    optimizer = torch.optim.SGD([param], lr=lr)
    optimizer.step()
    return SgdExample(
        before=w, grad=grad, lr=lr, after=float(param.detach()[0]), by_hand=w - lr * grad
    )


@dataclass(frozen=True)
class MseExample:
    """`nn.MSELoss()(pred, target)` next to the mean of the squared differences."""

    pred: tuple[float, ...]
    target: tuple[float, ...]
    squares: tuple[float, ...]  # (pred - target)^2, each, by hand
    loss: float  # torch's float32 result
    by_hand: float


def mse_example(
    pred: tuple[float, ...] = (2.0, 4.0, 6.0), target: tuple[float, ...] = (1.8, 4.2, 5.5)
) -> MseExample:
    """The notes' MSE example (shapes must match; at least one value)."""
    if len(pred) != len(target) or not pred:
        raise ValueError(f"pred has {len(pred)} values and target {len(target)}: need the same")
    loss = nn.MSELoss()(torch.tensor(pred), torch.tensor(target))
    squares = tuple((p - t) ** 2 for p, t in zip(pred, target, strict=True))
    return MseExample(
        pred=pred,
        target=target,
        squares=squares,
        loss=float(loss),
        by_hand=sum(squares) / len(squares),
    )


@dataclass(frozen=True)
class StateDictExample:
    """Save the optimizer's state, change lr and step, restore: the saved lr comes back."""

    saved_lr: float
    changed_lr: float
    restored_lr: float
    saved_state: dict[str, Any]  # state_dict() as saved: {'state': {...}, 'param_groups': [...]}
    momentum_saved: float  # the momentum buffer's first value when saved
    momentum_restored: float


def state_dict_example(lr: float = 0.01, changed_lr: float = 0.1) -> StateDictExample:
    """state_dict() is a copy of hyperparameters and per-parameter state, by index."""
    param = nn.Parameter(torch.tensor([1.5]))
    optimizer = torch.optim.SGD([param], lr=lr, momentum=0.9)
    param.grad = torch.tensor([-0.8])
    optimizer.step()  # creates the momentum buffer
    # A deep copy: state_dict() returns references to the live state tensors.
    state: dict[int, dict[str, torch.Tensor]] = {
        k: {n: v.clone() for n, v in s.items()} for k, s in optimizer.state_dict()["state"].items()
    }
    saved: dict[str, Any] = {
        "state": state,
        "param_groups": [dict(g) for g in optimizer.state_dict()["param_groups"]],
    }
    momentum_saved = float(state[0]["momentum_buffer"][0])
    for group in optimizer.param_groups:
        group["lr"] = changed_lr
    optimizer.step()  # changes the buffer too
    optimizer.load_state_dict(saved)
    restored = optimizer.state_dict()
    return StateDictExample(
        saved_lr=lr,
        changed_lr=changed_lr,
        restored_lr=float(optimizer.param_groups[0]["lr"]),
        saved_state=saved,
        momentum_saved=momentum_saved,
        momentum_restored=float(restored["state"][0]["momentum_buffer"][0]),
    )


@dataclass(frozen=True)
class ZeroGradExample:
    """What .grad holds after zero_grad() with set_to_none True (default) and False."""

    grad_before: float
    after_none: float | None  # set_to_none=True: .grad is None
    after_zero: float | None  # set_to_none=False: a tensor of zeros, as the diagram says


def zero_grad_example(grad: float = -0.8) -> ZeroGradExample:
    """Both zero_grad() modes on the same parameter."""
    param = nn.Parameter(torch.tensor([1.5]))
    optimizer = torch.optim.SGD([param], lr=0.01)

    def after(set_to_none: bool) -> float | None:
        param.grad = torch.tensor([grad])
        optimizer.zero_grad(set_to_none=set_to_none)
        return None if param.grad is None else float(param.grad[0])

    return ZeroGradExample(grad_before=grad, after_none=after(True), after_zero=after(False))
