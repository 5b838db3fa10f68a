"""The traced process's hook handlers: backward, zero_grad, optimizer steps, the end.

Hooks (hooks.py) call the methods here and in ForwardHooks; LoopState holds the
counters and the gate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch

from .forward import ForwardHooks
from .state import TraceStopped

__all__ = ["TraceStopped", "Tracer"]

T = TypeVar("T")


class Tracer(ForwardHooks):
    """Loop detection and the phase gate for one traced process."""

    def backward(self, roots: list[Any], run: Callable[[], T]) -> T:
        """Tensor.backward / torch.autograd.backward: classify, capture, run."""
        tensors = [t for t in roots if isinstance(t, torch.Tensor)]
        if self.hand is not None:
            self.hand_boundary()
            self.hand_backward()
        self._before("backward", "backward")
        nodes = [t.grad_fn for t in tensors if t.grad_fn is not None]
        if not self.fast and not self._classify(nodes) and not self.names.models:
            self.notice(
                "backward_unknown_root",
                "backward() on a tensor not produced by a known model: no module call "
                "seen in this iteration reaches it",
            )
        recorder = None
        root = tensors[0] if tensors else None
        if self.capturing and root is not None and root.grad_fn is not None:
            if self.loss_seen is None and root.grad_fn not in self.loss_nodes:
                self._loss_at_backward(root)
            self._send_graph(self.capture.graph_for(root))
            recorder = self.capture.backward_recorder()
        self.in_backward = True
        try:
            result = run()
        finally:
            self.in_backward = False
            if recorder is not None:
                recorder.remove()
        if recorder is not None and recorder.error is not None:
            raise recorder.error  # ours: _around turns tracing off, the backward itself ran
        self.loss_seen = None
        self.inner_loss = None
        event = None
        if self.capturing:
            event = self._phase(
                "backward",
                "backward",
                location=self.locator.locate(2),
                loss=root.item() if root is not None and root.numel() == 1 else None,
                capture=None if recorder is None else recorder.capture(),
            )
        self._after(event)
        self.backward_counted(root, nodes)
        return result

    def backward_counted(self, root: Any, nodes: list[Any] | None = None) -> None:
        """Count a backward() that ran (all that fast-forward does for one)."""
        self.counts.backwards += 1
        self.micro += 1
        if self.stepping is not None:  # optimizer.step(closure): the closure's backward
            self.closure_calls += 1
            if self.closure_calls == 1 and self.step_recorder is not None:
                # the step's "grad" is the one the closure's first backward made
                recorder = self.step_recorder
                for name, param in recorder.named.items():
                    recorder.grads[name] = recorder.values.grad(name, param)
        if isinstance(root, torch.Tensor) and root.numel() == 1:
            self.roots.append(root.item() if root.device.type == "cpu" else root.detach())
        if self.cycle.created == 0:
            # No optimizer: the script updates the parameters itself after backward().
            self.notice(
                "no_optimizer",
                "no torch.optim optimizer was created: each backward() is one iteration, "
                "which ends before the next forward, loss or backward; in shown iterations "
                "the script's in-place update of the tensors that got .grad is the step",
            )
            if self.fast or nodes is None:
                if self.hand is not None:
                    self.hand.quiet = True
                self._end_iteration(1)
            else:
                self.hand_learn(nodes)

    def gradients_returned(self) -> None:
        """torch.autograd.grad ran outside backward(): before any backward() and with no
        optimizer, it is how the script trains, and its gradients are not followed."""
        if "func_transform" in self.noticed:
            return  # torch.func.grad calls it: said by that notice
        if self.counts.backwards == 0 and self.cycle.created == 0:
            self.notice(
                "grad_without_backward",
                "torch.autograd.grad() returned gradients, and no backward() or optimizer was "
                "seen: the tracer follows the .grad that backward() fills, so this script's "
                "forward and loss calls are shown, but not its gradients, its updates or where "
                "an iteration ends",
            )

    def _loss_at_backward(self, root: torch.Tensor) -> None:
        """No loss call was seen: the loss is the tensor backward() is called on — out of the
        model's own forward (said with the line inside it), or a custom computation."""
        inner = self.inner_loss
        source = "model" if inner is not None else "backward"
        what = type(root.grad_fn).__name__ if root.grad_fn is not None else "tensor"
        if inner is not None and self.inner_name is not None:
            what = self.inner_name
        graph = self.capture.walk(root, None, what)
        self._send_graph(graph)
        self.send(
            self._phase(
                "loss",
                what,
                location=inner if inner is not None else self.locator.locate(3),
                loss=root.item() if root.numel() == 1 else None,
                capture={
                    "graph_id": graph["graph_id"],
                    "y": None,
                    "node_values": self.capture.node_values(root),
                    "source": source,
                    "function": what,
                },
            )
        )

    # ------------------------------------------------------------------ zero_grad, step

    def zero_grad(self, owner: Any, run: Callable[[], T]) -> T:
        """Optimizer.zero_grad or Module.zero_grad."""
        if self.in_zero_grad:
            return run()
        what = f"{type(owner).__name__}.zero_grad"
        if self.hand is not None:
            self.hand_boundary()
        self._before("zero_grad", what)
        params: dict[str, torch.Tensor] = {}
        if self.capturing:
            if isinstance(owner, torch.optim.Optimizer):
                flat = [p for group in owner.param_groups for p in group["params"]]
            else:
                flat = list(owner.parameters())
            params = self.names.named(flat, "param")
        before = self.capture.grads(params) if self.capturing else None
        self.in_zero_grad = True
        try:
            result = run()
        finally:
            self.in_zero_grad = False
        self.counts.zero_grads += 1
        event = None
        if self.capturing:
            index = self.cycle.index_of(owner) if isinstance(owner, torch.optim.Optimizer) else None
            after = self.capture.grads(params)
            event = self._phase(
                "zero_grad",
                what,
                location=self.locator.locate(2),
                optimizer=index,
                capture={
                    "skipped": False,
                    "set_to_none": all(v is None for v in after.values()),
                    "before": before,
                    "after": after,
                },
            )
        self._after(event)
        return result

    def optimizer_created(self, optimizer: torch.optim.Optimizer) -> None:
        """Optimizer.__init__ ran: one more optimizer the iteration count waits for."""
        index = self.cycle.add(optimizer)
        while len(self.optimizer_locations) <= index:
            self.optimizer_locations.append(None)
        self.optimizer_locations[index] = self.locator.locate(2)
        self.models_changed = True

    def step_pre(self, optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        """Global optimizer step pre-hook (an optimizer stepped inside another's step is not
        a step of the loop)."""
        if self.stepping is not None and self.stepping is not optimizer:
            return
        self.stepping = optimizer
        if self.fast:
            return
        self._before("step", f"{type(optimizer).__name__}.step")
        self.step_recorder = self.capture.step_recorder(optimizer) if self.capturing else None

    def step_post(self, optimizer: torch.optim.Optimizer, _args: Any, _kwargs: Any) -> None:
        """Global optimizer step post-hook."""
        if self.stepping is not optimizer:
            return
        self.stepping = None
        if self.closure_calls:
            self.notice(
                "closure_step",
                f"{type(optimizer).__name__}.step(closure) ran the closure "
                f"{self.closure_calls} times inside the step: its forward, loss and backward "
                "are shown inside the step, as micro-batches of one iteration",
            )
            self.closure_calls = 0
        if self.fast:  # only counted
            self.counts.steps += 1
            ended, message = self.cycle.step(optimizer)
            if message is not None:
                self.notice("optimizer_idle", message)
            if ended:
                self._end_iteration(ended)
            return
        self._step_done(optimizer, scaler_skipped=False)

    def scaler_step(self, optimizer: torch.optim.Optimizer, run: Callable[[], T]) -> T:
        """GradScaler.step: when it skipped optimizer.step() (inf/NaN gradients), say so."""
        steps = self.counts.steps
        result = run()
        if self.counts.steps == steps and isinstance(optimizer, torch.optim.Optimizer):
            self._before("step", f"{type(optimizer).__name__}.step")
            self.step_recorder = self.capture.step_recorder(optimizer) if self.capturing else None
            self._step_done(optimizer, scaler_skipped=True)
        return result

    def _step_done(self, optimizer: torch.optim.Optimizer, scaler_skipped: bool) -> None:
        self.counts.steps += 1
        ended, message = self.cycle.step(optimizer)
        recorder, self.step_recorder = self.step_recorder, None
        event = None
        if self.capturing:
            event = self._phase(
                "step",
                f"{type(optimizer).__name__}.step",
                location=self.locator.locate(3),
                optimizer=self.cycle.index_of(optimizer),
                iteration_ended=ended > 0,
                scaler_skipped=scaler_skipped,
                loss=None,
                capture=None if recorder is None else recorder.capture(),
            )
        self._after(event)
        if message is not None:
            self.notice("optimizer_idle", message)
        if ended:
            self._end_iteration(ended)
