"""Record what loss.backward() really does: node order, gradients sent on, .grad fills.

Hooks are registered on this iteration's nodes just before backward and removed
right after, so their number per iteration stays constant.  A hook closure holds
the node's id string and the recorder, never the node itself (that would keep the
graph alive through a reference cycle); the hook of a parameter's AccumulateGrad
node also holds the parameter (a leaf, which outlives every graph anyway) to read
the .grad that node has just filled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from .graph import WalkedGraph
from .values import ValueCache, optional_tensor_value

if TYPE_CHECKING:
    from ..protocol import BackwardCapture, GradFill, TensorValue

_ACCUMULATE = "AccumulateGrad:"  # the id prefix of a parameter's AccumulateGrad node


class BackwardRecorder:
    """Hooks for one backward pass; `capture()` gives the BackwardCapture dict."""

    def __init__(
        self, graph: WalkedGraph, params: dict[str, torch.nn.Parameter], values: ValueCache
    ) -> None:
        self.graph_id = graph.graph_id
        self.values = values
        self.cap = values.cap
        self.order: list[str] = []
        self.sent: dict[str, list[TensorValue | None]] = {}
        self.fills: list[GradFill] = []
        self.hook_calls = 0
        self._handles: list[Any] = []
        for node_id, node in graph.nodes.items():
            name = node_id.removeprefix(_ACCUMULATE)
            param = params.get(name) if name != node_id else None
            hook = self._node_hook(node_id) if param is None else self._fill_hook(name, param)
            self._handles.append(node.register_hook(hook))

    def _node_hook(self, node_id: str) -> Callable[..., None]:
        def hook(grad_inputs: tuple[torch.Tensor | None, ...], _grad_outputs: Any) -> None:
            self.hook_calls += 1
            self.order.append(node_id)
            self.sent[node_id] = [optional_tensor_value(g, self.cap) for g in grad_inputs]

        return hook

    def _fill_hook(self, name: str, param: torch.nn.Parameter) -> Callable[..., None]:
        """The hook of a parameter's AccumulateGrad node: it runs right after the node
        accumulated into param.grad, so .grad then holds the value it was filled with."""
        node_id = _ACCUMULATE + name
        record = self._node_hook(node_id)

        def hook(grad_inputs: tuple[torch.Tensor | None, ...], grad_outputs: Any) -> None:
            record(grad_inputs, grad_outputs)
            value = self.values.grad(name, param)
            assert value is not None
            self.fills.append({"param": name, "node": node_id, "value": value})

        return hook

    def remove(self) -> None:
        """Remove every hook this recorder registered."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def capture(self) -> BackwardCapture:
        """The BackwardCapture dict."""
        return {
            "graph_id": self.graph_id,
            "order": self.order,
            "sent": self.sent,
            "fills": self.fills,
        }
