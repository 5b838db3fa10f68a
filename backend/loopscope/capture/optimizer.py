"""The optimizer's side: param_groups as references to named parameters, state, updates."""

from __future__ import annotations

from typing import Any

import torch

from .values import ValueCache, encode_float, tensor_value

_STATE_KEYS = ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step")


def hyper_of(group: dict[str, Any]) -> dict[str, Any]:
    """A param group's hyperparameters (everything but 'params'), JSON-safe."""
    out: dict[str, Any] = {}
    for key, value in group.items():
        if key == "params":
            continue
        if isinstance(value, bool) or value is None:
            out[key] = value
        elif isinstance(value, int | float):
            out[key] = encode_float(float(value))
        elif isinstance(value, tuple | list) and all(isinstance(v, int | float) for v in value):
            out[key] = [encode_float(float(v)) for v in value]
    return out


def name_of(param: torch.Tensor, named: dict[str, torch.nn.Parameter]) -> str | None:
    """The name of the model parameter that `param` *is* (identity, not equality)."""
    for name, candidate in named.items():
        if candidate is param:
            return name
    return None


def describe_optimizer(
    optimizer: torch.optim.Optimizer, named: dict[str, torch.nn.Parameter]
) -> dict[str, Any]:
    """OptimizerInfo: class and param groups, each entry resolved to a parameter name by `is`."""
    return {
        "cls": type(optimizer).__name__,
        "param_groups": [
            {"params": [name_of(p, named) for p in group["params"]], "hyper": hyper_of(group)}
            for group in optimizer.param_groups
        ],
    }


def state_keys(optimizer: torch.optim.Optimizer) -> list[str]:
    """The optimizer.state[p] keys this optimizer keeps, in the order its update uses them."""
    group = optimizer.param_groups[0]
    if isinstance(optimizer, torch.optim.SGD):
        return ["momentum_buffer"] if group["momentum"] else []
    if isinstance(optimizer, torch.optim.Adam):  # AdamW is an Adam
        return ["step", "exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])
    return [key for key in _STATE_KEYS if any(key in s for s in optimizer.state.values())]


def state_of(optimizer: torch.optim.Optimizer, param: torch.Tensor, cap: int) -> dict[str, Any]:
    """The optimizer's per-parameter state (read with .get: indexing would insert a key)."""
    state = optimizer.state.get(param)
    if not state:
        return {}
    out: dict[str, Any] = {}
    for key in _STATE_KEYS:
        value = state.get(key)
        if isinstance(value, torch.Tensor):
            out[key] = tensor_value(value, cap) if value.dim() else encode_float(float(value))
        elif isinstance(value, int | float):
            out[key] = encode_float(float(value))
    return out


class StepRecorder:
    """Before/after of optimizer.step(): values, grads, state, and the reference evidence."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        named: dict[str, torch.nn.Parameter],
        values: ValueCache,
    ) -> None:
        self.optimizer = optimizer
        self.named = named
        self.values = values
        self.cap = values.cap
        self.before: dict[str, dict[str, Any]] = {}
        self.grads: dict[str, dict[str, Any] | None] = {}
        self.refs: list[dict[str, Any]] = []
        for name, param in named.items():
            self.before[name] = values.param(name, param)
            self.grads[name] = values.grad(name, param)
        for gi, group in enumerate(optimizer.param_groups):
            for index, param in enumerate(group["params"]):
                ref_name = name_of(param, named)
                self.refs.append(
                    {
                        "group": gi,
                        "index": index,
                        "param": ref_name,
                        "same_object": ref_name is not None and named[ref_name] is param,
                        "id": id(param),
                        "data_ptr": param.data_ptr(),
                        "version_before": param._version,
                        "version_after": param._version,
                    }
                )

    def capture(self) -> dict[str, Any]:
        """The StepCapture dict, read after step() ran."""
        updates, skipped = [], []
        refs = iter(self.refs)
        for group in self.optimizer.param_groups:
            hyper = hyper_of(group)
            for param in group["params"]:
                ref = next(refs)
                ref["version_after"] = param._version
                name = ref["param"]
                if name is None:
                    continue
                if self.grads[name] is None:
                    skipped.append(name)
                    continue
                updates.append(
                    {
                        "name": name,
                        "before": self.before[name],
                        "grad": self.grads[name],
                        "after": self.values.param(name, param),
                        "hyper": hyper,
                        "state": state_of(self.optimizer, param, self.cap),
                        "terms": [],
                        "kernel": None,
                        "same_bits": None,
                    }
                )
        return {"skipped": skipped, "updates": updates, "references": self.refs}
