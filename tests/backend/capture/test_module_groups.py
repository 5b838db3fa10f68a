"""GraphNode.module names the module whose forward made each node, checked against torch.

The oracle: a TorchFunctionMode notes, for every tensor torch returns while the model
runs, the innermost module whose forward was running (kept by a pre-hook / hook stack);
the tensor's grad_fn is the node it made.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from .._tiny_transformer import build_model, transformer_graph


class _MadeIn(TorchFunctionMode):
    def __init__(self, stack: list[str]) -> None:
        super().__init__()
        self.stack = stack
        self.made: dict[Any, str] = {}

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        outs = out if isinstance(out, tuple) else (out,)
        for t in outs:
            if self.stack and isinstance(t, torch.Tensor) and t.grad_fn is not None:
                self.made.setdefault(t.grad_fn, self.stack[-1])
        return out


def test_every_op_node_names_the_module_that_ran_it() -> None:
    model = build_model(layers=2)
    stack: list[str] = []
    handles = []

    def opened(path: str) -> Any:
        return lambda _m, _a: stack.append(path)

    def closed(_m: Any, _a: Any, _o: Any) -> None:
        stack.pop()

    for path, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(opened(path)))
        handles.append(module.register_forward_hook(closed))
    mode = _MadeIn(stack)
    with mode:
        graph, live = transformer_graph(model=model)
    for h in handles:
        h.remove()
    checked = 0
    for node in graph["nodes"]:
        made_in = mode.made.get(live[node["id"]])
        if made_in is None:  # AccumulateGrad (named by its parameter) and the criterion's ops
            continue
        assert node["module"] == made_in, node["id"]
        checked += 1
    # Attention's own ops (the scores, the mask, softmax) were made between its linears.
    softmax = [n for n in graph["nodes"] if n["op"] == "SoftmaxBackward0"]
    assert sorted(n["module"] for n in softmax) == ["blocks.0.attn", "blocks.1.attn"]
    assert checked > 50
