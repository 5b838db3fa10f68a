"""Where a training iteration ends, and how far the parent lets the script run.

An iteration ends at an optimizer.step() after which every optimizer the script
created (and still holds) has stepped since the previous end: with a GAN's two
optimizers the first step of the discriminator does not end one.  An optimizer that
already stepped when a new one is created waits aside until it steps again.  Optimizers
that share a parameter are alternatives, never partners (a GAN's never share one): a
fine-tuning script's `optimizer_head` and `optimizer_all`, made up front, do not wait for
each other.  An optimizer that
stays idle while another steps IDLE_LIMIT times is left out of the count (and said).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Literal

import torch

IDLE_LIMIT = 64
Unit = Literal["phase", "iteration"]


class OptimizerCycle:
    """The optimizers in creation order and the steps each made since the last iteration end."""

    def __init__(self) -> None:
        self._refs: list[weakref.ref[torch.optim.Optimizer]] = []
        self._index: weakref.WeakKeyDictionary[torch.optim.Optimizer, int] = (
            weakref.WeakKeyDictionary()
        )
        self._stepped: dict[int, int] = {}
        self._idle: set[int] = set()
        self._used: set[int] = set()  # optimizers that have stepped at least once
        # each optimizer's parameter ids, with the parameter count they were read at
        self._params: dict[int, tuple[int, frozenset[int]]] = {}

    def add(self, optimizer: torch.optim.Optimizer) -> int:
        """Register a new optimizer; its index in creation order.  The optimizers that
        already stepped are set aside until they step again: a script that trains a
        second model (or a second stage) with a new optimizer keeps the first one in a
        variable, and its steps must not wait for it."""
        index = self._index.get(optimizer)
        if index is None:
            index = self._index[optimizer] = len(self._refs)
            self._refs.append(weakref.ref(optimizer))
            self._idle.update(self._used)
            self._stepped.clear()
        return index

    def index_of(self, optimizer: torch.optim.Optimizer) -> int:
        """The optimizer's creation index (registered now if it was not seen being created)."""
        return self.add(optimizer)

    def live(self) -> list[torch.optim.Optimizer]:
        """The optimizers still alive, in creation order."""
        return [o for o in (r() for r in self._refs) if o is not None]

    @property
    def created(self) -> int:
        return len(self._refs)

    def step(self, optimizer: torch.optim.Optimizer) -> tuple[int, str | None]:
        """Count one step of `optimizer`: how many iterations it ended (usually 0 or 1) and,
        when an idle optimizer was left out, a sentence saying so."""
        index = self.add(optimizer)
        self._used.add(index)
        if len(self._refs) == 1:
            return 1, None  # the common case: one optimizer, every step ends an iteration
        self._idle.discard(index)
        count = self._stepped.get(index, 0) + 1
        self._stepped[index] = count
        mine = self._parameters(index, optimizer)
        live = [
            i
            for i, ref in enumerate(self._refs)
            if (other := ref()) is not None
            and i not in self._idle
            and (i == index or mine.isdisjoint(self._parameters(i, other)))
        ]
        if all(self._stepped.get(i, 0) > 0 for i in live):
            self._stepped.clear()
            return 1, None
        if count < IDLE_LIMIT:
            return 0, None
        lazy = [i for i in live if not self._stepped.get(i)]
        self._idle.update(lazy)
        self._stepped.clear()
        names = ", ".join(f"#{i}" for i in lazy)
        message = (
            f"optimizer {names} did not step while optimizer #{index} stepped {count} times: "
            f"it is left out, and each of those {count} steps is counted as one iteration"
        )
        return count, message

    def _parameters(self, index: int, optimizer: torch.optim.Optimizer) -> frozenset[int]:
        """The ids of `optimizer`'s parameters (read again when `add_param_group` or a
        scheduler changed how many it holds)."""
        count = sum(len(group["params"]) for group in optimizer.param_groups)
        known = self._params.get(index)
        if known is None or known[0] != count:
            ids = frozenset(id(p) for group in optimizer.param_groups for p in group["params"])
            known = self._params[index] = (count, ids)
        return known[1]


@dataclass
class Credits:
    """How far the script may run before it waits: `remaining` phases or iterations
    (None: until paused).  The last iteration of a count is the one captured."""

    unit: Unit = "phase"
    remaining: int | None = 0

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0

    def grant(self, unit: Unit, count: int | None) -> None:
        """Allow `count` more phases or iterations (None: run until paused)."""
        self.unit = unit
        self.remaining = count

    def pause(self) -> None:
        """Stop at the next gate."""
        self.remaining = 0

    def phase_done(self) -> None:
        """A gated phase ran."""
        if self.unit == "phase" and self.remaining:
            self.remaining -= 1

    def iteration_done(self, iterations: int = 1) -> None:
        """`iterations` training iterations ended."""
        if self.unit == "iteration" and self.remaining:
            self.remaining = max(0, self.remaining - iterations)

    def capture_iteration(self) -> bool:
        """Whether the iteration starting now is shown (captured)."""
        return self.unit == "phase" or self.remaining == 1


def parse_command(message: dict[str, Any]) -> tuple[str, Unit, int | None]:
    """A parent's command as (cmd, unit, count); ValueError naming the bad field."""
    cmd = message.get("cmd")
    if cmd not in ("go", "pause", "stop"):
        raise ValueError(f"cmd: expected 'go', 'pause' or 'stop', got {cmd!r}")
    unit = message.get("unit", "phase")
    if unit not in ("phase", "iteration"):
        raise ValueError(f"unit: expected 'phase' or 'iteration', got {unit!r}")
    count = message.get("count", 1)
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ValueError(f"count: expected a positive integer or null, got {count!r}")
    return cmd, unit, count
