"""Module calls and losses: which outermost call is the model, which is evaluation.

An outermost module call with grad enabled waits (pending) until a loss or a backward
is reached from it through the graph; whatever the iteration ends with still pending
was an evaluation or inference call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

from ..capture.graph import Node
from ..protocol import GraphEvent
from .byhand import HandHooks
from .names import compiled_from, module_name
from .recorder import tensors_in
from .state import MAX_PENDING, PendingCall, _Call

T = TypeVar("T")
_CRITERIA: dict[type, bool] = {}


def is_criterion(module: nn.Module) -> bool:
    """A loss module: an nn.modules.loss._Loss, or a custom one without parameters whose
    class is named like a loss (`DiceLoss`, `Criterion`)."""
    cls = type(module)
    known = _CRITERIA.get(cls)
    if known is None:
        name = cls.__name__.lower()
        known = isinstance(module, nn.modules.loss._Loss) or (
            ("loss" in name or "criterion" in name) and next(module.parameters(), None) is None
        )
        _CRITERIA[cls] = known
    return known


def in_func_transform() -> bool:
    """True inside a torch.func transform (`grad`, `vmap`, ...): its tensors are functorch's
    wrappers, with no storage to read values from."""
    return torch._C._functorch.peek_interpreter_stack() is not None


class ForwardHooks(HandHooks):
    """Handlers of the global module hooks and of the functional losses."""

    def module_pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        """Global forward pre-hook."""
        if self.in_backward or self.capture.walking:
            return  # a forward run again inside backward() (activation checkpointing)
        if in_func_transform():
            self.notice(
                "func_transform",
                f"{module_name(module)} was called inside a torch.func transform (grad, vmap, "
                "...): such calls are not shown (their tensors are functorch's wrappers, with "
                "no values to read), nor the gradients the transform returns or an update "
                "made with them",
            )
            return
        if compiled_from(module) is not None:
            # torch.compile's wrapper: the module it wraps is called inside it, and is the
            # model (with the parameter names the script knows, without `_orig_mod.`)
            self.notice(
                "compiled_module",
                f"{module_name(module)} was compiled with torch.compile: the tracer's hooks "
                "break its compiled graph into pieces, so it runs slower here than without "
                "tracing; its layers, values and updates are shown as without compiling",
            )
            return
        if self.depth == 0 and self.hand is not None and torch.is_grad_enabled():
            if self.hand_boundary():  # hooks just removed: this call's forward hook will not run
                return
        self.depth += 1
        if self.loss_depth:
            return
        if is_criterion(module):
            self.loss_depth = self.depth
            if self.depth == 1 and torch.is_grad_enabled():
                self._before("loss", type(module).__name__)
            return
        if self.depth != 1:
            if self.capture.forward is not None:
                self.capture.forward.enter(module, args)
            return
        grad = torch.is_grad_enabled()
        if grad and "forward_called_directly" not in self.noticed:
            self._direct_forward(module)
        if isinstance(module, torch.jit.ScriptModule):
            self.notice(
                "scripted_module",
                f"{module_name(module)} is a torch.jit.script module: its layers run inside "
                "TorchScript, where no hook sees them, so only its input and output are shown",
            )

        if grad:
            self._before("forward", module_name(module))
        capture = grad and self.capturing
        self.call = _Call(module, grad, self.locator.locate(2) if capture else None)
        if capture:
            self.capture.start_forward(module, args)
            self.capture.forward.enter(module, args)  # type: ignore[union-attr]

    def fast_call(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        """Pre-hook on a model while fast-forwarding (the global hooks are off): a call made
        without grad is evaluation; one with grad is the loop's forward, not counted there."""
        if self.fast and not self.in_backward and not torch.is_grad_enabled():
            self._evaluation(module, False, module.training, None, False)

    def watched(self) -> list[nn.Module]:
        """The modules watched while fast-forwarding: the models and those seen evaluating
        (not a torch.jit.script module: it takes no Python hook)."""
        models = [module for _, module in self.names.models]
        found = models + [m for m in self.evaluated if all(m is not k for k in models)]
        return [m for m in found if not isinstance(m, torch.jit.ScriptModule)]

    def _direct_forward(self, module: nn.Module) -> None:
        """An outermost call made from inside a module's forward: that module's forward was
        called directly (`model.forward(x)`), which runs no hook for it."""
        found = self.locator.frame(3)
        if found is None or found[0].f_code.co_name != "forward":
            return
        owner = found[0].f_locals.get("self")
        if isinstance(owner, nn.Module) and owner is not module:
            name = type(owner).__name__
            self.notice(
                "forward_called_directly",
                f"{name}.forward() was called directly instead of calling the module: no hook "
                f"runs for {name} itself, so its layers are shown as separate forward calls "
                "(iterations are still counted at each optimizer step)",
            )

    def module_post(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        """Global forward hook (always called, also when forward raised)."""
        if self.in_backward or self.capture.walking or compiled_from(module) is not None:
            return
        if in_func_transform():
            return
        depth = self.depth
        self.depth = max(0, depth - 1)
        if self.loss_depth:
            if depth == self.loss_depth:
                self.loss_depth = 0
                what = type(module).__name__
                if depth == 1:
                    if torch.is_grad_enabled():
                        target = args[1] if len(args) > 1 else None
                        self._loss_done(output, target, "criterion", what)
                else:
                    self._inner_loss(output, what)
            return
        if self.capture.forward is not None:
            self.capture.forward.leave(module, output)
        call = self.call
        if depth != 1 or call is None or call.module is not module:
            return
        self.call = None
        nodes = [t.grad_fn for t in tensors_in(output) if t.grad_fn is not None]
        if not (call.grad and nodes):
            if call.grad:
                self.capture.end_forward()
                self.credits.phase_done()
            self._evaluation(module, call.grad, module.training, call.location, False)
            return
        self.counts.forwards += 1
        self.inner_loss = call.inner_loss
        self.inner_name = call.inner_name
        self.pending.append(
            PendingCall(module, nodes, call.location, module.training, self.capturing)
        )
        if len(self.pending) > MAX_PENDING:
            # Its graph is let go; whether it trained is decided by its module (below).
            old = self.pending.pop(0)
            old.nodes = []
            self.evicted.append(old)
        event = None
        if self.capturing:
            event = self._phase(
                "forward",
                module_name(module),
                location=call.location,
                loss=call.inner_value,
                loss_inside_model=call.inner_loss,
                grad_enabled=True,
                training=module.training,
                capture=self.capture.end_forward(),
            )
        self._after(event)

    # ------------------------------------------------------------------ losses

    def loss_function(self, name: str, run: Callable[[], T], target: Any) -> T:
        """A torch.nn.functional loss: a phase at top level, noted inside a model's forward."""
        if self.fast or self.loss_depth or self.in_loss_function:
            return run()
        if self.in_backward or self.capture.walking or in_func_transform():
            return run()
        if self.depth == 0 and not torch.is_grad_enabled():
            return run()
        if self.depth == 0 and self.hand is not None:
            if self.hand_boundary():
                return run()
        if self.depth == 0:
            self._before("loss", name)
        self.in_loss_function = True
        try:
            output = run()
        finally:
            self.in_loss_function = False
        if self.depth == 0:
            self._loss_done(
                output, target if isinstance(target, torch.Tensor) else None, "functional", name
            )
        else:
            self._inner_loss(output, name)
        return output

    def _inner_loss(self, output: Any, what: str) -> None:
        call = self.call
        if call is None or not self.capturing or not isinstance(output, torch.Tensor):
            return
        call.inner_loss = self.locator.locate(3)
        call.inner_name = what
        if output.numel() == 1:
            call.inner_value = output.item()

    def _loss_done(self, output: Any, target: torch.Tensor | None, source: str, what: str) -> None:
        if not isinstance(output, torch.Tensor) or output.grad_fn is None:
            self.credits.phase_done()
            return
        self._classify([output.grad_fn])
        location = self.locator.locate(3) if self.capturing else None
        self.loss_seen = (source, location)
        self.loss_nodes.add(output.grad_fn)
        event = None
        if self.capturing:
            graph = self.capture.walk(output, target, what)
            self._send_graph(graph)
            event = self._phase(
                "loss",
                what,
                location=location,
                loss=output.item() if output.numel() == 1 else None,
                capture={
                    "graph_id": graph["graph_id"],
                    "y": None if target is None else self.capture.values.param("data:y", target),
                    "node_values": self.capture.node_values(output),
                    "source": source,
                    "function": what,
                },
            )
        self._after(event)

    def _send_graph(self, graph: GraphEvent | None) -> None:
        if graph is not None and graph["graph_id"] != self.capture.sent_graph:
            self.send(graph)
            self.capture.sent_graph = graph["graph_id"]

    def _classify(self, roots: list[Node]) -> bool:
        """Mark the pending calls whose output reaches `roots` as the model; True when any did."""
        if not self.pending:
            return False
        targets: dict[Node, list[PendingCall]] = {}
        for call in self.pending:
            for node in call.nodes:
                targets.setdefault(node, []).append(call)
        reached: set[int] = set()
        left = len(targets)
        seen: set[Node] = set(roots)
        stack = list(roots)
        while stack and left:
            node = stack.pop()
            calls = targets.get(node)
            if calls is not None:
                left -= 1
                reached.update(id(c) for c in calls)
            for child, _ in node.next_functions:
                if child is not None and child not in seen:
                    seen.add(child)
                    stack.append(child)
        if not reached:
            return False
        keep = []
        models: set[int] = set()
        for call in self.pending:
            if id(call) in reached:
                models.add(id(call.module))
                if self.names.add(call.module):
                    self.models_changed = True
            else:
                keep.append(call)
        self.pending = keep
        if self.evicted:
            # Earlier calls of a module that reached the loss trained too: an RNN cell called
            # once per time step makes more calls than are kept pending.
            self.evicted = [c for c in self.evicted if id(c.module) not in models]
        return True
