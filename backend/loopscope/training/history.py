"""Bounded rewind history: model + optimizer state at the start of some iterations.

A snapshot holds clones of every parameter, its .grad (which carries over when
zero_grad is skipped), the optimizer's per-parameter state and hyperparameters,
and the mini-batch generator.  The oldest snapshots go first when the byte budget
is exceeded; restoring copies the values back in place, so the optimizer keeps
holding the very same parameter objects.

Snapshots are checkpoints, not one per iteration: the session reaches an iteration
between two of them by restoring the one before it and replaying the loop (see
Session.rewind), which gives the same bits because the loop is deterministic.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch

# Python-side cost of one cloned tensor (object, storage header), counted with its bytes.
TENSOR_OVERHEAD = 200


def _clone(value: Any) -> Any:
    return value.detach().clone() if isinstance(value, torch.Tensor) else value


def _bytes(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size() + TENSOR_OVERHEAD
    return 0


@dataclass
class Snapshot:
    iteration: int
    params: list[torch.Tensor]
    grads: list[torch.Tensor | None]
    state: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    generator: torch.Tensor
    perm: torch.Tensor | None
    diverged: bool
    skip_zero_grad: bool
    nbytes: int
    config: Any = None  # the run's config (immutable) as it stood at this iteration


def take_snapshot(
    iteration: int,
    params: list[torch.nn.Parameter],
    optimizer: torch.optim.Optimizer,
    generator_state: torch.Tensor,
    perm: torch.Tensor | None,
    diverged: bool,
    skip_zero_grad: bool,
    config: Any = None,
) -> Snapshot:
    """Clone what a rewind to the start of `iteration` needs."""
    with torch.no_grad():
        values = [p.detach().clone() for p in params]
        grads = [None if p.grad is None else p.grad.detach().clone() for p in params]
        state = []
        for p in params:
            entry = optimizer.state.get(p)
            state.append({k: _clone(v) for k, v in entry.items()} if entry else {})
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    nbytes = sum(_bytes(t) for t in values) + sum(_bytes(g) for g in grads)
    nbytes += sum(_bytes(v) for entry in state for v in entry.values())
    return Snapshot(
        iteration=iteration,
        params=values,
        grads=grads,
        state=state,
        groups=groups,
        generator=generator_state,
        perm=perm,
        diverged=diverged,
        skip_zero_grad=skip_zero_grad,
        nbytes=nbytes + 512,
        config=config,
    )


def restore_snapshot(
    snapshot: Snapshot,
    params: list[torch.nn.Parameter],
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> None:
    """Copy a snapshot back into the live parameters, grads, optimizer state and generator."""
    with torch.no_grad():
        for p, value, grad in zip(params, snapshot.params, snapshot.grads, strict=True):
            p.copy_(value)
            p.grad = None if grad is None else grad.clone()
    optimizer.state.clear()
    for p, entry in zip(params, snapshot.state, strict=True):
        if entry:
            optimizer.state[p] = {k: _clone(v) for k, v in entry.items()}
    for group, saved in zip(optimizer.param_groups, snapshot.groups, strict=True):
        group.update(saved)
    generator.set_state(snapshot.generator)


class History:
    """Snapshots by iteration, oldest evicted first beyond `max_bytes` (the newest always kept)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._snapshots: OrderedDict[int, Snapshot] = OrderedDict()
        self.nbytes = 0

    def add(self, snapshot: Snapshot) -> None:
        """Keep `snapshot`, dropping the oldest ones while over budget."""
        old = self._snapshots.pop(snapshot.iteration, None)
        if old is not None:
            self.nbytes -= old.nbytes
        self._snapshots[snapshot.iteration] = snapshot
        self.nbytes += snapshot.nbytes
        while self.nbytes > self.max_bytes and len(self._snapshots) > 1:
            _, dropped = self._snapshots.popitem(last=False)
            self.nbytes -= dropped.nbytes

    def latest_at_or_before(self, iteration: int) -> Snapshot | None:
        """The newest snapshot taken at or before `iteration` (None when there is none)."""
        for kept, snapshot in reversed(self._snapshots.items()):
            if kept <= iteration:
                return snapshot
        return None

    @property
    def first(self) -> int | None:
        """The oldest iteration kept (None when empty)."""
        return next(iter(self._snapshots), None)

    def truncate_after(self, iteration: int) -> None:
        """Forget every snapshot later than `iteration` (a rewind starts a branch)."""
        while self._snapshots and next(reversed(self._snapshots)) > iteration:
            _, dropped = self._snapshots.popitem(last=True)
            self.nbytes -= dropped.nbytes
