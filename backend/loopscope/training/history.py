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

# What one snapshot holds besides its tensors' data, measured against the process's RSS
# (tests/backend/test_history.py): per tensor, the Python object, TensorImpl, StorageImpl
# and the allocator's header; per snapshot, the Snapshot, its lists, dicts and group copies.
TENSOR_OVERHEAD = 768
SNAPSHOT_OVERHEAD = 2048
ALIGNMENT = 64  # torch's CPU allocator hands out 64-byte aligned blocks


def _clone(value: Any) -> Any:
    return value.detach().clone() if isinstance(value, torch.Tensor) else value


def _bytes(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        data = value.untyped_storage().nbytes()
        return -(-data // ALIGNMENT) * ALIGNMENT + TENSOR_OVERHEAD
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
        nbytes=nbytes + SNAPSHOT_OVERHEAD,
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


def _shared(snapshot: Snapshot) -> list[torch.Tensor]:
    """The tensors a snapshot may share with its neighbours: the generator state (about
    5 KB) and the epoch's permutation, the same objects for every snapshot of an epoch."""
    return [t for t in (snapshot.generator, snapshot.perm) if t is not None]


def _holds(snapshot: Snapshot | None, tensor: torch.Tensor) -> bool:
    return snapshot is not None and any(t is tensor for t in _shared(snapshot))


class History:
    """Snapshots by iteration, oldest evicted first beyond `max_bytes` (the newest always kept).

    A shared tensor is counted once, in the oldest snapshot holding it."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._snapshots: OrderedDict[int, Snapshot] = OrderedDict()
        self.nbytes = 0

    def add(self, snapshot: Snapshot) -> None:
        """Keep `snapshot`, dropping the oldest ones while over budget."""
        old = self._snapshots.pop(snapshot.iteration, None)
        if old is not None:
            self.nbytes -= old.nbytes
        newest = self._snapshots[next(reversed(self._snapshots))] if self._snapshots else None
        snapshot.nbytes += sum(_bytes(t) for t in _shared(snapshot) if not _holds(newest, t))
        self._snapshots[snapshot.iteration] = snapshot
        self.nbytes += snapshot.nbytes
        while self.nbytes > self.max_bytes and len(self._snapshots) > 1:
            _, dropped = self._snapshots.popitem(last=False)
            self.nbytes -= dropped.nbytes
            oldest = self._snapshots[next(iter(self._snapshots))]
            for tensor in _shared(dropped):
                if _holds(oldest, tensor):  # it now holds the tensor first: it is counted there
                    oldest.nbytes += _bytes(tensor)
                    self.nbytes += _bytes(tensor)

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
