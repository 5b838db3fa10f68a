"""Handlers for loops that update the parameters themselves (no torch.optim optimizer).

With no optimizer, an iteration's backward() ran and the iteration ends at the next
forward, loss, backward, zero_grad or the script's end (`hand_boundary`).  In shown
iterations the hand-written update between them is reported as the `step` phase and a
`.grad.zero_()` as `zero_grad` (manual.py says what is seen and how).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

from ..protocol import TraceSummary
from .manual import HandState
from .state import LoopState

T = TypeVar("T")
BY_HAND = "update by hand"


class HandHooks(LoopState):
    """The hand-update part of the tracer (the in-place wrappers of hooks.py call it)."""

    hand: HandState | None = None
    install_inplace: Callable[[], None] | None = None

    def hand_boundary(self) -> bool:
        """Before a forward, loss, backward or zero_grad with grad enabled, and at the end:
        close the open hand phase; with no optimizer, an iteration whose backward ran ends.
        True when the run fast-forwards from here (the module hooks were just removed)."""
        hand = self.hand
        if hand is None:
            return False
        hand.quiet = False
        if hand.open is not None:
            self._hand_close(hand)
        if self.micro > 0 and self.cycle.created == 0 and not self.fast:
            self._end_iteration(1)
        return self.fast

    def hand_backward(self) -> None:
        """A backward() is about to run: `.grad = None` since the last one is a zero_grad."""
        hand = self.hand
        if hand is None or self.fast or hand.zero_grads != self.counts.zero_grads:
            return  # (a model.zero_grad() set them to None, and was shown as zero_grad)
        if not hand.grads_dropped():
            return
        self._before("zero_grad", ".grad = None")
        self.counts.zero_grads += 1
        event = None
        if self.capturing:
            event = self._phase("zero_grad", ".grad = None", capture=None)
        self.notice(
            "grad_set_to_none",
            "the gradients were set to None by the script's own code (p.grad = None): "
            "this is seen at the next backward(), shown there as zero_grad without a line",
        )
        self._after(event)

    def hand_learn(self, roots: list[Any]) -> None:
        """A backward() ran with no optimizer (in a shown iteration): watch its leaves."""
        if self.hand is None:
            self.hand = HandState()
            if self.install_inplace is not None:
                self.install_inplace()
        self.hand.learn(roots, self.names.by_id)
        self.hand.zero_grads = self.counts.zero_grads

    def hand_inplace(self, tensor: torch.Tensor, method: str, run: Callable[[], T]) -> T:
        """An in-place Tensor method: a leaf of the last backward opens the step, the zeroing
        of one of their gradients is a zero_grad."""
        hand = self.hand
        if hand is None or hand.quiet or self.micro == 0 and method != "zero_":
            return run()
        if self.cycle.created or self.in_zero_grad or self.in_backward:
            return run()  # an optimizer's own work (created after a loop by hand)
        ptr = tensor.data_ptr()
        if method == "zero_" and ptr in hand.grads:
            if hand.open == "step":
                hand.zeroed = True
            elif hand.open is None:
                self._before("zero_grad", ".grad.zero_()")
                hand.open, hand.location = "zero_grad", self.locator.locate(2)
                hand.grad_values = hand.grads_now(self.capture.cap) if self.capturing else {}
        elif ptr in hand.leaves and hand.open != "step":
            if hand.open is not None:
                self._hand_close(hand)
            self._before("step", BY_HAND)
            hand.open, hand.location, hand.zeroed = "step", self.locator.locate(2), False
            hand.before = {}
            if self.capturing:
                hand.read_before(self.capture.cap)
        return run()

    def _hand_close(self, hand: HandState) -> None:
        kind, hand.open = hand.open, None
        cap = self.capture.cap
        zero_capture = None
        if self.capturing and hand.grad_values:
            zero_capture = {
                "skipped": False,
                "set_to_none": False,
                "before": hand.grad_values,
                "after": hand.grads_now(cap),
            }
        if kind == "zero_grad":
            self.counts.zero_grads += 1
            self._after(
                self._phase(
                    "zero_grad", ".grad.zero_()", location=hand.location, capture=zero_capture
                )
            )
            return
        self.counts.steps += 1
        event = None
        if self.capturing:
            event = self._phase(
                "step",
                BY_HAND,
                location=hand.location,
                iteration_ended=True,
                capture=hand.step_capture(cap) if hand.before else None,
            )
        self._after(event)
        if hand.zeroed:
            # The gradients were zeroed inside the update (d2l's sgd()): not gated on its own.
            self.counts.zero_grads += 1
            if self.capturing:
                self.send(self._phase("zero_grad", ".grad.zero_()", capture=zero_capture))

    def finish(self) -> TraceSummary:
        self.hand_boundary()
        return super().finish()
