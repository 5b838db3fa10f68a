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
from .update import bits_equal
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
        # The slots of each node that send a gradient into a parameter's AccumulateGrad: a
        # large gradient sent there is held (with its summary) until the fill, where a
        # .grad of the same bits reuses the summary instead of working it out again.
        self._into: dict[str, dict[int, str]] = {}
        for edge in graph.topology["edges"]:
            target = edge["target"]
            if target.startswith(_ACCUMULATE):
                into = self._into.setdefault(edge["source"], {})
                into[edge["slot"]] = target.removeprefix(_ACCUMULATE)
        self._sent_to: dict[str, tuple[torch.Tensor, TensorValue]] = {}
        for node_id, node in graph.nodes.items():
            name = node_id.removeprefix(_ACCUMULATE)
            param = params.get(name) if name != node_id else None
            hook = self._node_hook(node_id) if param is None else self._fill_hook(name, param)
            self._handles.append(node.register_hook(hook))

    def _node_hook(self, node_id: str) -> Callable[..., None]:
        into = self._into.get(node_id, {})

        def hook(grad_inputs: tuple[torch.Tensor | None, ...], _grad_outputs: Any) -> None:
            self.hook_calls += 1
            self.order.append(node_id)
            sent = [optional_tensor_value(g, self.cap) for g in grad_inputs]
            self.sent[node_id] = sent
            for slot, name in into.items():
                grad, value = grad_inputs[slot], sent[slot]
                if grad is not None and value is not None and "summary" in value:
                    self._sent_to[name] = (grad, value)

        return hook

    def _fill_hook(self, name: str, param: torch.nn.Parameter) -> Callable[..., None]:
        """The hook of a parameter's AccumulateGrad node: it runs right after the node
        accumulated into param.grad, so .grad then holds the value it was filled with."""
        node_id = _ACCUMULATE + name
        record = self._node_hook(node_id)

        def hook(grad_inputs: tuple[torch.Tensor | None, ...], grad_outputs: Any) -> None:
            record(grad_inputs, grad_outputs)
            sent = self._sent_to.pop(name, None)
            grad = param.grad
            if sent is not None and grad is not None and bits_equal(sent[0], grad):
                self.values.put(f"grad:{name}", grad, sent[1])  # the same bits, summarized
            value = self.values.grad(name, param)
            assert value is not None
            self.fills.append({"param": name, "node": node_id, "value": value})

        return hook

    def remove(self) -> None:
        """Remove every hook this recorder registered."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self._sent_to.clear()

    def capture(self) -> BackwardCapture:
        """The BackwardCapture dict."""
        return {
            "graph_id": self.graph_id,
            "order": self.order,
            "sent": self.sent,
            "fills": self.fills,
        }
