"""A `tensor` command's answer: one tensor of the run in full, as it is now (reads only);
an `update` command's: one parameter's update detail of the latest captured step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from ..capture.optimizer import state_keys
from ..capture.values import tensor_value
from ..protocol import MAX_TENSOR_ELEMENTS, PHASES
from .errors import CommandError

if TYPE_CHECKING:
    from ..protocol import OptimizerStateKey, TensorEvent, TensorKind, UpdateEvent
    from .stepper import Stepper


def _pick(
    stepper: Stepper, param: torch.Tensor, kind: TensorKind, key: OptimizerStateKey | None
) -> Any:
    """The tensor asked for (None: no .grad, or no such state yet; a number for `step`)."""
    if kind == "value":
        return param
    if kind == "grad":
        return param.grad
    if key is None:
        raise CommandError("invalid_message", "key: kind 'state' needs a state key", "key")
    keys = state_keys(stepper.optimizer)
    if key not in keys:
        kept = ", ".join(keys) or "none"
        raise CommandError(
            "not_found",
            f"key: {type(stepper.optimizer).__name__} keeps no {key!r} (it keeps: {kept})",
            "key",
        )
    return stepper.optimizer.state.get(param, {}).get(key)


def full_tensor(
    stepper: Stepper, name: str, kind: TensorKind, key: OptimizerStateKey | None
) -> TensorEvent:
    """The TensorEvent of parameter `name`'s value, .grad or optimizer state `key`, with every
    value (refused past MAX_TENSOR_ELEMENTS)."""
    param = stepper.params.get(name)
    if param is None:
        raise CommandError(
            "not_found", f"name: no parameter {name!r} (see session.parameters)", "name"
        )
    if kind != "state" and key is not None:
        raise CommandError("invalid_message", "key: only kind 'state' takes a key", "key")
    tensor = _pick(stepper, param, kind, key)
    if isinstance(tensor, torch.Tensor) and tensor.numel() > MAX_TENSOR_ELEMENTS:
        raise CommandError(
            "out_of_range",
            f"name: {name} has {tensor.numel()} values; at most {MAX_TENSOR_ELEMENTS}"
            " are sent in full (its summary is in every frame)",
            "name",
        )
    return {
        "type": "tensor",
        "name": name,
        "kind": kind,
        "key": key,
        "iteration": stepper.iteration,
        "next_phase": PHASES[stepper.phase_index],
        "value": None if tensor is None else tensor_value(tensor, MAX_TENSOR_ELEMENTS),
    }


def update_detail(stepper: Stepper, name: str) -> UpdateEvent:
    """The UpdateEvent of parameter `name` in the latest captured step, replayed now when its
    step frame left it brief; from then on captured steps send its detail (the learner is
    looking at it). Refused when the run moved past that step (a step, rewind or zero_grad
    since: its update is no longer what the parameter shows)."""
    if name not in stepper.params:
        raise CommandError(
            "not_found", f"name: no parameter {name!r} (see session.parameters)", "name"
        )
    last = stepper.last_step
    if last is None:
        raise CommandError("wrong_state", "name: no captured step to detail yet", "name")
    iteration, recorder = last
    update = recorder.updates.get(name) or recorder.detail_of(name)
    if update is None:
        raise CommandError(
            "wrong_state",
            f"name: the step of iteration {iteration} is past ({name} or its .grad changed"
            " since); its next captured step sends its detail",
            "name",
        )
    if stepper.step_detail is not None:  # the learner looks at it: replayed with each step
        stepper.step_detail = {name}
    return {"type": "update", "name": name, "iteration": iteration, "update": update}
