"""Captures of a shown iteration of a traced script, built on the shared capture/ code.

Nothing here draws random numbers or creates autograd nodes: values are read with
`numpy(force=True)`, and the graph is walked, never extended.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..capture.backward import BackwardRecorder
from ..capture.graph import Node, WalkedGraph, walk_graph
from ..capture.optimizer import StepRecorder
from ..capture.values import ValueCache, tensor_value
from ..protocol import GraphEvent
from .names import NameTable, module_name


def tensors_in(value: Any, limit: int = 64) -> list[torch.Tensor]:
    """The tensors in a module's output: a tensor, or inside tuples, lists and dicts."""
    found: list[torch.Tensor] = []
    stack = [value]
    while stack and len(found) < limit:
        item = stack.pop()
        if isinstance(item, torch.Tensor):
            found.append(item)
        elif isinstance(item, tuple | list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            # a model returning a dataclass (logits and loss together, like a ModelOutput)
            fields = dataclasses.fields(item)
            stack.extend(reversed([getattr(item, f.name, None) for f in fields]))
    return found


class GuardedBackwardRecorder(BackwardRecorder):
    """A BackwardRecorder whose hooks never raise: they run inside the script's backward(),
    where an error of ours would look like the script's own and abort its backward.  The
    first error is kept (`error`) for the tracer to report, and recording stops."""

    error: Exception | None = None

    def _node_hook(self, node_id: str) -> Callable[..., None]:
        return self._guarded(super()._node_hook(node_id))

    def _fill_hook(self, name: str, param: torch.nn.Parameter) -> Callable[..., None]:
        return self._guarded(super()._fill_hook(name, param))

    def _guarded(self, hook: Callable[..., None]) -> Callable[..., None]:
        def guarded(*args: Any) -> None:
            if self.error is None:
                try:
                    hook(*args)
                except Exception as exc:  # noqa: BLE001 - reported by the tracer, not raised
                    self.error = exc

        return guarded


class ForwardCalls:
    """One outermost call's module calls, fed by the global hooks (which see every module,
    and run before a module's own hooks: a per-module recorder would miss the outermost
    call's output).  ForwardCapture shape; paths are relative to the called module."""

    def __init__(self, root: nn.Module, args: tuple[Any, ...], values: ValueCache) -> None:
        self.values = values
        self.paths = {id(m): path for path, m in root.named_modules()}
        self.calls: list[dict[str, Any]] = []
        self.trace: list[dict[str, str]] = []
        self.tensors: dict[str, Any] = {}
        self.keys: dict[int, str] = {}
        self.held: list[torch.Tensor] = []  # keeps ids unique while keyed
        self.outputs: dict[str, torch.Tensor] = {}  # module path → its output
        self.module_of: dict[Node, str] = {}  # output's grad_fn → innermost module that made it
        self._open: list[dict[str, Any]] = []
        first = tensors_in(args[:1], 1)
        self.input = first[0] if first else None
        if self.input is not None:
            self._key(self.input, "x")

    def _key(self, tensor: torch.Tensor | None, name: str) -> str | None:
        if tensor is None:
            return None
        key = self.keys.get(id(tensor))
        if key is None:
            key = self.keys[id(tensor)] = name
            self.held.append(tensor)
            self.tensors[key] = (
                self.values.param("data:x", tensor) if name == "x" else tensor_value(tensor)
            )
        return key

    def enter(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        """A module's forward pre-hook ran."""
        path = self.paths.get(id(module), "?")
        self.trace.append({"event": "pre_hook", "module": path})
        depth = 0 if path == "" else path.count(".") + 1
        first = tensors_in(args[:1], 1)
        call = {"module": path, "cls": module_name(module), "depth": depth, "output": None}
        call["input"] = self._key(first[0] if first else None, f"{path or 'model'}.input")
        self.calls.append(call)
        self._open.append(call)

    def leave(self, module: nn.Module, output: Any) -> None:
        """A module's forward hook ran."""
        if not self._open:
            return
        call = self._open.pop()
        path = call["module"]
        self.trace.append({"event": "hook", "module": path})
        first = tensors_in(output, 1)
        if first:
            tensor = first[0]
            call["output"] = self._key(tensor, "y_pred" if path == "" else path)
            self.outputs[path] = tensor
            if tensor.grad_fn is not None:
                self.module_of.setdefault(tensor.grad_fn, path)

    def capture(self) -> dict[str, Any]:
        """The ForwardCapture dict."""
        return {
            "calls": self.calls,
            "trace": self.trace,
            "tensors": self.tensors,
            "batch_index": None,
        }


class IterationCapture:
    """Recorders of the shown iteration: forward calls, the graph from the loss, backward."""

    def __init__(self, names: NameTable, cap: int = 4096) -> None:
        self.names = names
        self.values = ValueCache(cap)
        self.cap = cap
        self.forward: ForwardCalls | None = None  # the outermost call being recorded
        self.walking = False  # a graph walk is reading saved tensors
        self._used: list[tuple[nn.Module, ForwardCalls]] = []
        self.sent_graph: str | None = None
        self._graph: WalkedGraph | None = None
        self._graph_root: Node | None = None

    def start_forward(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        """Record the calls of `module` (just entered) and of everything inside it."""
        self.forward = ForwardCalls(module, args, self.values)
        self._used.append((module, self.forward))

    def end_forward(self) -> dict[str, Any] | None:
        """The ForwardCapture of the outermost call that just returned."""
        forward, self.forward = self.forward, None
        return None if forward is None else forward.capture()

    def _named_outputs(self) -> tuple[dict[str, torch.Tensor], dict[Node, str]]:
        named: dict[str, torch.Tensor] = {}
        module_of: dict[Node, str] = {}
        for module, forward in reversed(self._used):
            label = self.names.label_of(module) or ""
            prefix = f"{label}." if label else ""
            if forward.input is not None:
                named.setdefault(prefix + "x", forward.input)
            if "" in forward.outputs:
                named.setdefault(prefix + "y_pred", forward.outputs[""])
        for module, forward in reversed(self._used):
            label = self.names.label_of(module) or ""
            prefix = f"{label}." if label else ""
            for path, tensor in forward.outputs.items():
                if path:
                    named.setdefault(prefix + path, tensor)
            for node, path in forward.module_of.items():
                module_of.setdefault(node, prefix + path if path else label)
        return named, module_of

    def walk(self, root: torch.Tensor, target: torch.Tensor | None, what: str) -> GraphEvent:
        """Walk the graph from `root` (a loss); the GraphEvent dict, `sent` False when the
        client already has this topology."""
        named, module_of = self._named_outputs()
        if target is not None:
            named["y"] = target
        named.update(self.names.params)
        assert root.grad_fn is not None
        module_of.setdefault(root.grad_fn, what)
        # Reading a saved tensor can run the script's modules again (a checkpointed block is
        # recomputed by its unpack hook): the module hooks ignore calls made meanwhile.
        self.walking = True
        try:
            graph = walk_graph(root.grad_fn, self.names.by_id, named, module_of, self.sent_graph)
        finally:
            self.walking = False
        ids = {node: node_id for node_id, node in graph.nodes.items()}
        tensors = {"loss": ids[root.grad_fn]}
        y_pred = named.get("y_pred")
        if y_pred is not None and y_pred.grad_fn in ids:
            tensors["y_pred"] = ids[y_pred.grad_fn]
        graph.topology["tensors"] = tensors
        self._graph, self._graph_root = graph, root.grad_fn
        return {**graph.topology}

    def node_values(self, root: torch.Tensor) -> dict[str, Any]:
        """Node id → the forward value it produced, for the loss and the recorded outputs."""
        graph = self._graph
        if graph is None:
            return {}
        ids = {node: node_id for node_id, node in graph.nodes.items()}
        values: dict[str, Any] = (
            {ids[root.grad_fn]: tensor_value(root, self.cap)} if root.grad_fn in ids else {}
        )
        for _module, forward in self._used:
            for out in forward.outputs.values():
                node_id = ids.get(out.grad_fn)
                if node_id is not None and node_id not in values:
                    key = forward.keys.get(id(out))
                    known = forward.tensors.get(key) if key is not None else None
                    values[node_id] = known or tensor_value(out, self.cap)
        return values

    def graph_for(self, root: torch.Tensor) -> GraphEvent | None:
        """The graph from `root`: None when it was already walked from this root."""
        if self._graph is not None and self._graph_root is root.grad_fn:
            return None
        return self.walk(root, None, "loss")

    def backward_recorder(self) -> GuardedBackwardRecorder | None:
        """Hooks on the walked graph's nodes for the backward about to run."""
        if self._graph is None:
            return None
        return GuardedBackwardRecorder(self._graph, self.names.params, self.values)

    def grads(self, params: dict[str, torch.Tensor]) -> dict[str, Any]:
        """Each parameter's .grad as a TensorValue (None where it is None)."""
        return {name: self.values.grad(name, p) for name, p in params.items()}

    def step_recorder(self, optimizer: torch.optim.Optimizer) -> StepRecorder:
        """Before-values of a step of `optimizer`."""
        return StepRecorder(optimizer, self.names.for_optimizer(optimizer), self.values)

    def end_iteration(self) -> None:
        """Drop the iteration's tensors and graph (nothing autograd outlives an iteration)."""
        self._used.clear()
        self.forward = None
        self._graph = self._graph_root = None
