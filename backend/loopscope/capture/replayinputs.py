"""What one parameter's update replay reads, kept for a replay on request (pure torch).

A step frame of a model of many tensors sends most updates without their detail; the
replay of such an update runs later, when the learner asks, on copies of what step() read
(its values or their head, .grad, optimizer state, and the group's settings then)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from .update import Replay, replay_adam, replay_sgd

if TYPE_CHECKING:
    from ..protocol import TensorValue


@dataclass
class ReplayInputs:
    """What one parameter's replay reads: its values (whole, or the head), .grad, state."""

    param: torch.Tensor
    grad: torch.Tensor
    state: dict[str, Any] | None
    cap: int
    group: dict[str, Any]
    foreach: bool
    all_buffers: bool
    grad_of: torch.Tensor | None = None  # the .grad it was read from, and its version
    grad_version: int = -1

    def copied(self, live: torch.Tensor) -> ReplayInputs:
        """The same inputs as copies (step() updates the originals in place) and the group's
        settings as they are now (a `set` may change them later); `live`: the .grad read."""
        state = {
            key: value.clone() if isinstance(value, torch.Tensor) else value
            for key, value in (self.state or {}).items()
        }
        return ReplayInputs(
            self.param.detach().clone(),
            self.grad.clone(),
            state if self.state is not None else None,
            self.cap,
            {key: value for key, value in self.group.items() if key != "params"},
            self.foreach,
            self.all_buffers,
            live,
            live._version,
        )

    def replay(self, optimizer: torch.optim.Optimizer, known: dict[int, TensorValue]) -> Replay:
        """The update replayed on these inputs (capture/update.py)."""
        if isinstance(optimizer, torch.optim.SGD):
            return replay_sgd(
                self.param,
                self.grad,
                self.state,
                self.group,
                self.foreach,
                self.all_buffers,
                self.cap,
                known,
            )
        return replay_adam(
            self.param, self.grad, self.state, self.group, self.foreach, self.cap, known
        )
