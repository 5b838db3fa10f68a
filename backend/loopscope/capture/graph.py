"""Walk loss.grad_fn over next_functions into nodes and edges whose ids survive iterations.

A node's id is its op name, suffixed `#k` for the k-th further node of that op in
a fixed depth-first order; an AccumulateGrad node is named by the parameter it
fills.  The same model therefore gets the same ids every iteration (unlike id()).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from ..protocol import GraphEdge, GraphEvent, GraphNode, SavedTensor

Node = Any  # torch.autograd.graph.Node (C++ classes with no common Python type)

_SAVED_ATTRS: dict[str, list[str]] = {}  # op name → its _saved_* attributes (dir() is slow)
_OP_NAMES: dict[type, str] = {}  # node class → op name (every op has its own node class)
_GRAPH_IDS: dict[tuple[Any, ...], str] = {}  # topology signature → its id (hashed once)
_MAX_GRAPH_IDS = 1024


def op_name(node: Node) -> str:
    """`AddmmBackward0`; the C++ namespace is dropped from `torch::autograd::AccumulateGrad`."""
    cls = type(node)
    name = _OP_NAMES.get(cls)
    if name is None:
        name = _OP_NAMES[cls] = node.name().rsplit("::", 1)[-1]
    return name


def _graph_id(signature: tuple[Any, ...]) -> str:
    """A short stable id for a topology signature (the same text hash in every process)."""
    graph_id = _GRAPH_IDS.get(signature)
    if graph_id is None:
        if len(_GRAPH_IDS) >= _MAX_GRAPH_IDS:
            _GRAPH_IDS.clear()
        digest = hashlib.blake2b(repr(signature).encode(), digest_size=6).hexdigest()
        graph_id = _GRAPH_IDS[signature] = digest
    return graph_id


def _saved_attrs(node: Node, op: str) -> list[str]:
    attrs = _SAVED_ATTRS.get(op)
    if attrs is None:
        attrs = [
            a
            for a in dir(node)
            if a.startswith("_saved_") and not a.endswith(("_sym_sizes", "_sym_strides"))
        ]
        _SAVED_ATTRS[op] = attrs
    return attrs


@dataclass
class WalkedGraph:
    """One iteration's graph: the topology (wire form) and the live nodes by id."""

    graph_id: str
    topology: GraphEvent
    nodes: dict[str, Node] = field(repr=False)


def _label(tensor: torch.Tensor, named: dict[str, torch.Tensor]) -> str | None:
    """Which named tensor `tensor` is: the same object, the same storage view, or a view of it."""
    ptr = tensor.data_ptr()
    view_of: str | None = None
    for name, known in named.items():
        if tensor is known:
            return name
        if known.data_ptr() == ptr and known.device == tensor.device:
            if known.shape == tensor.shape and known.stride() == tensor.stride():
                return name
            view_of = view_of or f"{name} (view)"
    return view_of


def _saved(node: Node, op: str, named: dict[str, torch.Tensor]) -> list[SavedTensor]:
    out: list[SavedTensor] = []
    for attr in _saved_attrs(node, op):
        try:
            value = getattr(node, attr)
        except RuntimeError:  # freed after backward
            continue
        entry: SavedTensor = {"name": attr.removeprefix("_saved_")}
        if isinstance(value, torch.Tensor):
            entry["shape"] = list(value.shape)
            entry["tensor"] = _label(value, named)
        else:
            entry["value"] = repr(value)
        out.append(entry)
    return out


class _Walk:
    """The state of one walk.  (A nested recursive function would hold itself through
    its closure: a reference cycle that keeps the whole graph alive until the cyclic GC
    runs.  A method call creates no such cycle, so the graph dies with the iteration.)"""

    __slots__ = ("counts", "edges", "ids", "live", "module_of", "nodes", "param_names")

    def __init__(self, param_names: dict[int, str], module_of: dict[Node, str]) -> None:
        self.param_names = param_names
        self.module_of = module_of
        self.ids: dict[Node, str] = {}
        self.counts: dict[str, int] = {}
        self.nodes: list[GraphNode] = []
        self.edges: list[GraphEdge] = []
        self.live: dict[str, Node] = {}

    def visit(self, node: Node, module: str | None) -> str:
        """Name `node` (first visit in depth-first order), then its inputs; its id."""
        seen = self.ids.get(node)
        if seen is not None:
            return seen
        op = op_name(node)
        param = None
        if op == "AccumulateGrad":
            param = self.param_names.get(id(node.variable))
            node_id = f"AccumulateGrad:{param}"
            module = param.rpartition(".")[0] if param else module
        else:
            k = self.counts.get(op, 0)
            self.counts[op] = k + 1
            node_id = op if k == 0 else f"{op}#{k}"
            module = self.module_of.get(node, module)
        self.ids[node] = node_id
        self.live[node_id] = node
        self.nodes.append({"id": node_id, "op": op, "param": param, "module": module, "saved": []})
        for slot, (child, _) in enumerate(node.next_functions):
            if child is not None:
                target = self.visit(child, module)
                self.edges.append({"source": node_id, "target": target, "slot": slot})
        return node_id


def walk_graph(
    root: Node,
    param_names: dict[int, str],
    named: dict[str, torch.Tensor],
    module_of: dict[Node, str],
    known: str | None = None,
) -> WalkedGraph:
    """Nodes (with saved tensors), edges (source.next_functions[slot] is target) and stable ids.

    `param_names` maps id(parameter) → name; `named` are forward tensors to recognise among
    saved tensors; `module_of` maps a module's output node to the module's path (a node
    not in it belongs to the module of the nearest node above it that is).  When the
    topology's id equals `known` (the previous iteration's), saved tensors are not read
    again: that topology was already described.
    """
    walk = _Walk(param_names, module_of)
    root_id = walk.visit(root, module_of.get(root))
    nodes, edges, live = walk.nodes, walk.edges, walk.live
    signature = (
        tuple([(n["id"], n["module"]) for n in nodes]),
        tuple([(e["source"], e["target"], e["slot"]) for e in edges]),
        tuple([tuple(t.shape) for t in named.values()]),
    )
    graph_id = _graph_id(signature)
    if graph_id != known:
        for entry in nodes:
            entry["saved"] = _saved(live[entry["id"]], entry["op"], named)
    topology: GraphEvent = {
        "type": "graph",
        "graph_id": graph_id,
        "root": root_id,
        "nodes": nodes,
        "edges": edges,
        "tensors": {},  # named tensors → nodes: filled in by the caller, who knows them
    }
    return WalkedGraph(graph_id=graph_id, topology=topology, nodes=live)
