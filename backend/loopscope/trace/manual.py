"""Parameters updated by the script's own code, without a torch.optim optimizer.

A from-scratch loop (`p.data += -lr * p.grad`, `param -= lr * param.grad` under no_grad,
`param.grad.zero_()`, `p.grad = None`) has no step() to hook.  Once a backward() ran with
no optimizer in the process, a few in-place Tensor methods are wrapped (hooks.py): the
first in-place change of a tensor that received .grad from that backward opens the
iteration's `step` (gated before it runs, before-values read then), and `.grad.zero_()`
on one of their gradients is a `zero_grad`.  The step closes at the next forward, loss,
backward or the end, where the after-values are read.  `p.grad = None` cannot be seen when
it happens; it is noticed at the next backward(), when the gradients are gone.

Only shown iterations pay for this: while fast-forwarding the wrappers pass through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..capture.values import tensor_value
from ..protocol import TraceLocation
from .held import global_names

# In-place methods a hand-written update uses (`.data` shares storage, so `p.data += x` is
# seen through the storage address); `zero_` also empties a gradient.
INPLACE_METHODS = (
    "__iadd__",
    "__isub__",
    "__imul__",
    "__itruediv__",
    "add_",
    "sub_",
    "mul_",
    "div_",
    "copy_",
    "addcmul_",
    "addcdiv_",
    "lerp_",
    "zero_",
)


def leaves_of(roots: list[Any], limit: int = 4096) -> list[torch.Tensor]:
    """The leaf tensors a backward from `roots` fills .grad of (AccumulateGrad nodes)."""
    found: list[torch.Tensor] = []
    seen: set[Any] = set(roots)
    stack = list(roots)
    while stack and len(seen) < limit:
        node = stack.pop()
        variable = getattr(node, "variable", None)
        if isinstance(variable, torch.Tensor):
            found.append(variable)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return found


@dataclass
class HandState:
    """The tensors the last shown backward filled, and the hand phase now open."""

    leaves: dict[int, tuple[str, torch.Tensor]] = field(default_factory=dict)  # data_ptr →
    grads: set[int] = field(default_factory=set)  # data_ptr of their .grad tensors
    open: str | None = None  # "step" or "zero_grad"
    location: TraceLocation | None = None
    zeroed: bool = False  # a .grad.zero_() ran inside the open step
    # The iteration just fast-forwarded ended at its backward(): the rest of its body (its
    # update) is not the next iteration's, so nothing is seen until the next boundary.
    quiet: bool = False
    # zero_grad calls (Module/Optimizer.zero_grad) counted when the leaves were learnt: one
    # since then already showed why every .grad is None at the next backward
    zero_grads: int = 0
    before: dict[str, Any] = field(default_factory=dict)
    grad_values: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)

    def learn(self, roots: list[Any], known: dict[int, str]) -> None:
        """Remember the leaves a backward from `roots` just filled (named by the model, else
        by the script's global variable, else by position)."""
        names = global_names()
        self.leaves.clear()
        self.grads.clear()
        for i, leaf in enumerate(leaves_of(roots)):
            name = known.get(id(leaf)) or names.get(id(leaf)) or f"tensor[{i}]"
            self.leaves[leaf.data_ptr()] = (name, leaf)
            if leaf.grad is not None:
                self.grads.add(leaf.grad.data_ptr())

    def grads_dropped(self) -> bool:
        """True when every known leaf's .grad is None now (the script set them to None)."""
        return bool(self.leaves) and all(t.grad is None for _, t in self.leaves.values())

    def read_before(self, cap: int) -> None:
        self.before, self.grad_values, self.versions = {}, {}, {}
        for name, leaf in self.leaves.values():
            self.before[name] = tensor_value(leaf, cap)
            grad = leaf.grad
            self.grad_values[name] = None if grad is None else tensor_value(grad, cap)
            self.versions[name] = leaf._version

    def grads_now(self, cap: int) -> dict[str, Any]:
        return {
            name: None if leaf.grad is None else tensor_value(leaf.grad, cap)
            for name, leaf in self.leaves.values()
        }

    def step_capture(self, cap: int) -> dict[str, Any]:
        """StepCapture of a hand update: before, the .grad it read, after; no optimizer, so
        no hyperparameters, state or replayed terms.  The references' versions show which
        tensors were changed in place (`p.data += …` changes the storage, not p's version)."""
        updates, references, skipped = [], [], []
        for index, (name, leaf) in enumerate(self.leaves.values()):
            references.append(
                {
                    "group": 0,
                    "index": index,
                    "param": name,
                    "same_object": True,
                    "id": id(leaf),
                    "data_ptr": leaf.data_ptr(),
                    "version_before": self.versions.get(name, leaf._version),
                    "version_after": leaf._version,
                }
            )
            grad = self.grad_values.get(name)
            if grad is None:
                skipped.append(name)
                continue
            updates.append(
                {
                    "name": name,
                    "before": self.before[name],
                    "grad": grad,
                    "after": tensor_value(leaf, cap),
                    "hyper": {},
                    "state": {},
                    "terms": [],
                    "kernel": None,
                    "same_bits": None,
                }
            )
        return {"skipped": skipped, "updates": updates, "references": references}
