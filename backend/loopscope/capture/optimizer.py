"""The optimizer's side: param_groups as references to named parameters, state, updates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from .update import (
    Kernel,
    Prior,
    kernel_of,
    replay_adam,
    replay_sgd,
    replayable,
    same_bits,
    take_prior,
)
from .values import ValueCache, encode_float, tensor_value

if TYPE_CHECKING:
    from ..protocol import (
        Float,
        OptimizerInfo,
        OptimizerStateKey,
        ParamReference,
        ParamUpdate,
        StepCapture,
        TensorValue,
        UpdateTerm,
    )

_STATE_KEYS: tuple[OptimizerStateKey, ...] = (
    "momentum_buffer",
    "exp_avg",
    "exp_avg_sq",
    "max_exp_avg_sq",
    "step",
)


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
) -> OptimizerInfo:
    """OptimizerInfo: class and param groups, each entry resolved to a parameter name by `is`."""
    return {
        "cls": type(optimizer).__name__,
        "param_groups": [
            {"params": [name_of(p, named) for p in group["params"]], "hyper": hyper_of(group)}
            for group in optimizer.param_groups
        ],
    }


def state_keys(optimizer: torch.optim.Optimizer) -> list[OptimizerStateKey]:
    """The optimizer.state[p] keys this optimizer keeps, in the order its update uses them."""
    group = optimizer.param_groups[0]
    if isinstance(optimizer, torch.optim.SGD):
        return ["momentum_buffer"] if group["momentum"] else []
    if isinstance(optimizer, torch.optim.Adam):  # AdamW is an Adam
        keys: list[OptimizerStateKey] = ["step", "exp_avg", "exp_avg_sq"]
        return keys + (["max_exp_avg_sq"] if group["amsgrad"] else [])
    return [key for key in _STATE_KEYS if any(key in s for s in optimizer.state.values())]


def state_of(
    optimizer: torch.optim.Optimizer, param: torch.Tensor, cap: int
) -> dict[str, TensorValue | Float]:
    """The optimizer's per-parameter state (read with .get: indexing would insert a key)."""
    state = optimizer.state.get(param)
    if not state:
        return {}
    out: dict[str, TensorValue | Float] = {}
    for key in _STATE_KEYS:
        value = state.get(key)
        if isinstance(value, torch.Tensor):
            out[key] = tensor_value(value, cap) if value.dim() else encode_float(float(value))
        elif isinstance(value, int | float):
            out[key] = encode_float(float(value))
    return out


def list_references(
    optimizer: torch.optim.Optimizer, named: dict[str, torch.nn.Parameter]
) -> list[ParamReference]:
    """ParamReferences: each param_groups entry, the parameter it *is*, and its version now."""
    refs: list[ParamReference] = []
    for gi, group in enumerate(optimizer.param_groups):
        for index, param in enumerate(group["params"]):
            ref_name = name_of(param, named)
            refs.append(
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
    return refs


class StepRecorder:
    """Before/after of optimizer.step(): values, grads, state, the reference evidence, and the
    update of every parameter replayed term by term (capture/update.py)."""

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
        self.before: dict[str, TensorValue] = {}
        self.grads: dict[str, TensorValue | None] = {}
        for name, param in named.items():
            self.before[name] = values.param(name, param)
            self.grads[name] = values.grad(name, param)
        self.refs = list_references(optimizer, named)
        # What step() will read, cloned, and the path it will take, per group.
        self.priors: dict[int, Prior] = {}
        self.kernels: list[Kernel | None] = []
        self.all_buffers: list[bool] = []
        for group in optimizer.param_groups:
            with_grad = [p for p in group["params"] if p.grad is not None]
            # Optimizers with a `foreach` option pick their path the way sgd() and adam() do.
            kernel = kernel_of(optimizer, group, with_grad) if "foreach" in group else None
            self.kernels.append(kernel)
            self.all_buffers.append(False)
            if kernel is None or not replayable(optimizer, group, kernel):
                continue
            states = [optimizer.state.get(p) or {} for p in with_grad]
            self.all_buffers[-1] = all("momentum_buffer" in st for st in states)
            for param, state in zip(with_grad, states, strict=True):
                assert param.grad is not None
                self.priors[id(param)] = take_prior(param, param.grad, state)

    def _replay(
        self, gi: int, param: torch.Tensor, update: ParamUpdate
    ) -> tuple[list[UpdateTerm], bool | None]:
        """The replayed terms of `param`'s update and whether they end in step()'s bits
        (`update`: its ParamUpdate so far, whose values the terms share)."""
        prior = self.priors.get(id(param))
        if prior is None:  # not replayed: see update.replayable
            return [], None
        group = self.optimizer.param_groups[gi]
        foreach = self.kernels[gi] == "foreach"
        if isinstance(self.optimizer, torch.optim.SGD):
            replay = replay_sgd(prior, group, foreach, self.all_buffers[gi], self.cap)
        else:
            replay = replay_adam(prior, group, foreach, self.cap)
        same = same_bits(replay, param, self.optimizer.state.get(param))
        # With the same bits, the new parameter and state are the values sent anyway.
        shared = {"param": update["after"], **update["state"]} if same else None
        return replay.wire_terms(update["grad"], shared, self.cap), same

    def capture(self) -> StepCapture:
        """The StepCapture dict, read after step() ran."""
        updates: list[ParamUpdate] = []
        skipped: list[str] = []
        refs = iter(self.refs)
        for gi, group in enumerate(self.optimizer.param_groups):
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
                update: ParamUpdate = {
                    "name": name,
                    "before": self.before[name],
                    "grad": self.grads[name],
                    "after": self.values.param(name, param),
                    "hyper": hyper,
                    "state": state_of(self.optimizer, param, self.cap),
                    "terms": [],
                    "kernel": self.kernels[gi],
                    "same_bits": None,
                }
                update["terms"], update["same_bits"] = self._replay(gi, param, update)
                updates.append(update)
        return {"skipped": skipped, "updates": updates, "references": self.refs}
