"""The autograd graph that a forward pass built, as nodes and edges."""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from .base import _WIRE


@with_config(_WIRE)
class SavedTensor(TypedDict):
    name: str  # the attribute without "_saved_": "mat1", "self", "target"
    shape: NotRequired[list[int] | None]  # a tensor's shape, or None for a non-tensor
    value: NotRequired[str | None]  # a non-tensor's repr, e.g. "1" for alpha
    tensor: NotRequired[
        str | None
    ]  # which named tensor it is by identity: "x", "y", "y_pred", a param


@with_config(_WIRE)
class GraphNode(TypedDict):
    # stable across iterations for the same model: "AddmmBackward0", "AccumulateGrad:linear.bias"
    id: str
    op: str  # "AddmmBackward0", "AccumulateGrad"
    param: NotRequired[str | None]  # for AccumulateGrad: the parameter it fills
    module: NotRequired[str | None]  # the module whose forward produced this node, if known
    saved: list[SavedTensor]


@with_config(_WIRE)
class GraphEdge(TypedDict):
    """`source.next_functions[slot]` is `target`: gradients flow source → target."""

    source: str
    target: str
    slot: int


@with_config(_WIRE)
class GraphEvent(TypedDict):
    """The autograd graph's topology; sent when it changes (values follow keyed by node id)."""

    type: Literal["graph"]
    graph_id: str
    root: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    tensors: dict[str, str]  # named forward tensors → the node that made them: "y_pred", "loss"
