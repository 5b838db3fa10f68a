"""The optimizer's side: param_groups as references to named parameters, state, updates."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import torch

from .layers import layer_stats, mean_abs_change, step_norms
from .replayinputs import ReplayInputs
from .update import Kernel, Replay, head_of, kernel_of, replayable, same_bits
from .values import FIRST_VALUES, ValueCache, encode_float, tensor_value

if TYPE_CHECKING:
    from ..protocol import (
        Float,
        LayerStats,
        OptimizerInfo,
        OptimizerStateKey,
        ParamReference,
        ParamUpdate,
        StepCapture,
        TensorValue,
        UpdateTerm,
    )

# The step frame carries a parameter ~15 times (before, grad, after, its state, the replayed
# terms), and its event's `params` and `grads` carry the tensor and its .grad once more.
# Past this many elements the update sends summaries, whose `first` values still hold the
# element the formulas write out: a 1 000-value bias no longer fills 180 KB of one frame.
STEP_FULL = 256
# Such a parameter's update is replayed on its first REPLAY_HEAD elements only: the page
# writes out one element's formula, and a summary of each intermediate tensor of a large
# parameter cost more than the rest of its capture. The update says so (`replay_head`),
# its same_bits then compares those elements, and its tensor terms carry the first
# FIRST_VALUES of them. 64 elements run through torch's vectorized loops (two vectors
# per pass, up to AVX-512) as the start of the whole tensor does, so they get its bits.
REPLAY_HEAD = 64

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
    optimizer: torch.optim.Optimizer,
    param: torch.Tensor,
    cap: int,
    values: ValueCache | None = None,
    name: str = "",
) -> dict[str, TensorValue | Float]:
    """The optimizer's per-parameter state (read with .get: indexing would insert a key).
    With `values` (of the same cap), tensors go through its slots "state:KEY:NAME"."""
    state = optimizer.state.get(param)
    if not state:
        return {}
    out: dict[str, TensorValue | Float] = {}
    for key in _STATE_KEYS:
        value = state.get(key)
        if isinstance(value, torch.Tensor) and not value.dim():
            out[key] = encode_float(float(value))
        elif isinstance(value, torch.Tensor) and values is not None:
            out[key] = values.param(f"state:{key}:{name}", value)
        elif isinstance(value, torch.Tensor):
            out[key] = tensor_value(value, cap)
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


def _first_of(term: UpdateTerm) -> UpdateTerm:
    """A head replay's term cut to its first FIRST_VALUES elements: the element the page
    writes out and a few more, as a summary's `first` (the frame stays small)."""
    value = term["value"]
    values = value.get("values") if isinstance(value, dict) else None
    if not isinstance(value, dict) or values is None:
        return term
    first = values[:FIRST_VALUES]
    return {"key": term["key"], "value": {**value, "shape": [len(first)], "values": first}}


class StepRecorder:
    """Before/after of optimizer.step(): values, grads, state, the reference evidence, and the
    update of every parameter replayed term by term (capture/update.py)."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        named: dict[str, torch.nn.Parameter],
        values: ValueCache,
        detail: Collection[str] | None = None,
    ) -> None:
        self.optimizer = optimizer
        # The parameters whose update detail this frame sends (None: all). The others are
        # not replayed now: their replay's inputs are kept (`_later`) for `detail_of`.
        self.detail = detail
        self._later: dict[str, ReplayInputs] = {}
        self.named = named
        self.values = values
        self.cap = values.cap
        self.small = min(self.cap, STEP_FULL)  # the cap of all but `after`
        self.before: dict[str, TensorValue] = {}
        self.grads: dict[str, TensorValue | None] = {}
        # The values step() starts from, for Δw = after − before (LayerStats).
        self.start = {name: param.detach().clone() for name, param in named.items()}
        self.updates: dict[str, ParamUpdate] = {}
        for name, param in named.items():
            self.before[name] = self._value(name, param)
            grad = param.grad
            if grad is not None and self._trimmed(grad):
                self.grads[name] = tensor_value(grad, self.small)
            else:
                self.grads[name] = values.grad(name, param)
        self.refs = list_references(optimizer, named)
        # The path step() will take, per group, and each update replayed before it runs.
        self.kernels: list[Kernel | None] = []
        self.replays: dict[int, Replay] = {}
        for group in optimizer.param_groups:
            with_grad = [p for p in group["params"] if p.grad is not None]
            # Optimizers with a `foreach` option pick their path the way sgd() and adam() do.
            kernel = kernel_of(optimizer, group, with_grad) if "foreach" in group else None
            self.kernels.append(kernel)
            if kernel is None or not replayable(optimizer, group, kernel):
                continue
            foreach = kernel == "foreach"
            states = [optimizer.state.get(p) for p in with_grad]
            # The state as the last step sent it: its tensors are the "_prev" terms now.
            known = {
                id(value): cached
                for p, st in zip(with_grad, states, strict=True)
                for key, value in (st or {}).items()
                if (cached := self._cached_state(key, p, value)) is not None
            }
            all_buffers = all(st and "momentum_buffer" in st for st in states)
            for param, state in zip(with_grad, states, strict=True):
                inputs = ReplayInputs(
                    *self._replay_inputs(param, state), group, foreach, all_buffers
                )
                param_name = name_of(param, named)
                if detail is not None and param_name not in detail:
                    if param_name is not None:  # replayed on request, on copies of its inputs
                        assert param.grad is not None
                        self._later[param_name] = inputs.copied(param.grad)
                    continue
                self.replays[id(param)] = inputs.replay(optimizer, known)

    def _replay_inputs(
        self, param: torch.Tensor, state: dict[str, Any] | None
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any] | None, int]:
        """What the replay of `param` runs on: the whole parameter, or its head."""
        assert param.grad is not None
        if param.numel() <= self.small:
            return param, param.grad, state, self._cap_of(param)
        head, grad, heads = head_of(param, state, REPLAY_HEAD)
        return head, grad, heads, REPLAY_HEAD

    def _shares_cache(self, tensor: torch.Tensor) -> bool:
        """True when the run's ValueCache encodes `tensor` as this frame sends it."""
        return not self._trimmed(tensor)

    def _state(self, name: str, param: torch.Tensor) -> dict[str, TensorValue | Float]:
        """The parameter's optimizer state, through the cache when this frame's cap is its."""
        cache = self.values if self._shares_cache(param) else None
        return state_of(self.optimizer, param, self._cap_of(param), cache, name)

    def _cached_state(self, key: str, param: torch.Tensor, value: Any) -> TensorValue | None:
        """The cached value of a state tensor still as the last capture encoded it."""
        name = name_of(param, self.named)
        if name is None or not isinstance(value, torch.Tensor) or not value.dim():
            return None
        if not self._shares_cache(param):
            return None
        return self.values.peek(f"state:{key}:{name}", value)

    def _value(self, name: str, param: torch.Tensor) -> TensorValue:
        """The parameter as this frame sends it: the cached value other frames send too, or
        a summary when the frame's budget trims it (the event's `params` has it in full)."""
        return (
            tensor_value(param, self.small)
            if self._trimmed(param)
            else self.values.param(name, param)
        )

    def _trimmed(self, param: torch.Tensor) -> bool:
        """True when the run's cap sends `param` in full but the step frame summarizes it."""
        return self.small < param.numel() <= self.cap

    def _cap_of(self, param: torch.Tensor) -> int:
        """The cap of this parameter's state and terms: the run's, or STEP_FULL past it."""
        return self.cap if param.numel() <= self.small else self.small

    def _replayed(
        self, param: torch.Tensor, update: ParamUpdate
    ) -> tuple[list[UpdateTerm], bool | None]:
        """The replayed terms of `param`'s update and whether they end in step()'s bits
        (`update`: its ParamUpdate so far, whose values the terms share)."""
        replay = self.replays.get(id(param))
        if replay is None:  # not replayed: see update.replayable
            return [], None
        state = self.optimizer.state.get(param)
        if param.numel() > self.small:  # replayed on its head: compared and sent as such
            head, grad, heads = head_of(param, state, REPLAY_HEAD)
            update["replay_head"] = REPLAY_HEAD
            terms = replay.wire_terms(tensor_value(grad, REPLAY_HEAD), None, REPLAY_HEAD)
            return [_first_of(term) for term in terms], same_bits(replay, head, heads)
        same = same_bits(replay, param, state)
        # With the same bits, the new parameter and state are the values sent anyway.
        shared = {"param": update["after"], **update["state"]} if same else None
        return replay.wire_terms(update["grad"], shared, self._cap_of(param)), same

    def capture(self) -> StepCapture:
        """The StepCapture dict, read after step() ran."""
        updates: list[ParamUpdate] = []
        skipped: list[str] = []
        brief: list[str] = []
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
                if name in self._later:
                    brief.append(name)
                    continue
                update = self._update(name, param, hyper, self.kernels[gi])
                updates.append(update)
                self.updates[name] = update
        self.hypers = {
            ref["param"]: hyper_of(self.optimizer.param_groups[ref["group"]])
            for ref in self.refs
            if ref["param"] is not None
        }
        self.versions = {ref["param"]: ref["version_after"] for ref in self.refs}
        capture: StepCapture = {"skipped": skipped, "updates": updates, "references": self.refs}
        if brief:
            capture["brief"] = brief
        return capture

    def _update(
        self, name: str, param: torch.Tensor, hyper: dict[str, Any], kernel: Kernel | None
    ) -> ParamUpdate:
        """The ParamUpdate of `param` (its replay already made)."""
        update: ParamUpdate = {
            "name": name,
            "before": self.before[name],
            "grad": self.grads[name],
            "after": self._value(name, param),
            "hyper": hyper,
            "state": self._state(name, param),
            "terms": [],
            "kernel": kernel,
            "same_bits": None,
        }
        update["terms"], update["same_bits"] = self._replayed(param, update)
        if "summary" in update["after"]:  # the page cannot work it out from summaries
            change = mean_abs_change(self.start[name], param)
            update["mean_abs_change"] = encode_float(change)
        return update

    def detail_of(self, name: str) -> ParamUpdate | None:
        """The update detail of a parameter the step frame listed in `brief`, replayed now on
        the copies of what step() read; None when the parameter or its .grad changed since
        (a later step, a rewind, a zero_grad): the update is then no longer the one shown."""
        inputs = self._later.get(name)
        param = self.named.get(name)
        if inputs is None or param is None:
            return None
        grad = param.grad
        if param._version != self.versions.get(name) or grad is not inputs.grad_of:
            return None
        if grad is None or grad._version != inputs.grad_version:
            return None
        self.replays[id(param)] = inputs.replay(self.optimizer, {})
        del self._later[name]
        kernel = self.kernels[next(r["group"] for r in self.refs if r["param"] == name)]
        update = self._update(name, param, self.hypers[name], kernel)
        self.updates[name] = update
        return update

    def layers(self) -> list[LayerStats]:
        """Every parameter's LayerStats (flags not set: layers.flag_layers), after capture()."""
        out: list[LayerStats] = []
        names = list(self.named)
        norms = step_norms([self.start[n] for n in names], list(self.named.values()))
        for (name, param), norm in zip(self.named.items(), norms, strict=True):
            update = self.updates.get(name)
            # Without an update sent (brief, or skipped): the encodings the frame's params
            # and grads will carry (cached), whose values the histograms are made from.
            value = self.values.param(name, param) if update is None else update["after"]
            grad = self.values.grad(name, param) if update is None else update["grad"]
            out.append(layer_stats(name, self.start[name], param, value, grad, norm))
        return out
