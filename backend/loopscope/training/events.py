"""The events a built-in run sends: session, phase and losses, and the losses waiting for them.

Builders only read: they take the run's parts and return the event, changing nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch

from ..capture.modules import module_tree
from ..capture.optimizer import describe_optimizer, list_references, state_keys
from ..capture.values import encode_float, tensor_value
from ..protocol import PHASES
from .configs import SETTABLE, RunConfig, SettableName
from .scenarios import Scenario
from .stepper import PhaseResult, Stepper

if TYPE_CHECKING:
    from ..protocol import (
        Capabilities,
        FitView,
        Float,
        HistoryInfo,
        Landscape,
        LossChunk,
        LossesEvent,
        PhaseEvent,
        SessionEvent,
        SourceInfo,
        TensorValue,
    )

# A phase event carries at most this many losses; a command that ran more iterations
# sends the older ones first, compactly, in `losses` events of at most LOSSES_CHUNK
# values each. Every iteration's loss is reported.
MAX_LOSSES_PER_EVENT = 10_000
LOSSES_CHUNK = 50_000


def wire_float(value: float) -> Float:
    """A float32 loss as the shortest decimal that gives it back (non-finite as a string)."""
    # a numpy float32 in place of the float: orjson writes it as the shortest decimal
    return cast(float, np.float32(value)) if math.isfinite(value) else encode_float(value)


class PendingLosses:
    """Losses of consecutive iterations not sent yet: one LossChunk, growing at its end.

    The one place losses are cut up: the oldest go out in `losses` events, the newest
    (at most MAX_LOSSES_PER_EVENT) with the phase event."""

    def __init__(self) -> None:
        self.first = 0  # the iteration of values[0]
        self.values: list[Float] = []

    def add(self, iteration: int, loss: float) -> None:
        """Append `iteration`'s loss (iterations arrive in order, none skipped)."""
        if not self.values:
            self.first = iteration
        assert iteration == self.first + len(self.values)
        self.values.append(wire_float(loss))

    def clear(self) -> None:
        """Forget them (the run restarted or went back)."""
        self.values = []

    def spill(self, n_batches: int) -> list[LossesEvent]:
        """LossesEvents for the oldest losses, those a phase event has no room for."""
        values, first = self.values, self.first
        over = len(values) - MAX_LOSSES_PER_EVENT
        if over <= 0:
            return []
        events: list[LossesEvent] = [
            {
                "type": "losses",
                "first": first + start,
                "n_batches": n_batches,
                "values": values[start : min(start + LOSSES_CHUNK, over)],
            }
            for start in range(0, over, LOSSES_CHUNK)
        ]
        self.values, self.first = values[over:], first + over
        return events

    def take(self, next_iteration: int) -> LossChunk:
        """The rest as a phase event's LossChunk (empty, starting at `next_iteration`, when
        none is pending), and none left pending."""
        if not self.values:
            return {"first": next_iteration, "values": []}
        chunk: LossChunk = {"first": self.first, "values": self.values}
        self.values = []
        return chunk


def settable(config: RunConfig, group: dict[str, Any]) -> list[SettableName]:
    """The hyperparameters `set` accepts for this run: those its optimizer's param group has
    (betas as beta1 and beta2; momentum only when the run uses it), and skip_zero_grad."""
    keys: list[SettableName] = []
    for key in SETTABLE:
        if key == "momentum":
            ok = config.optimizer == "momentum"
        elif key in ("beta1", "beta2"):
            ok = "betas" in group
        else:
            ok = key == "skip_zero_grad" or key in group
        if ok:
            keys.append(key)
    return keys


def capabilities(
    scenario: Scenario, config: RunConfig, optimizer: torch.optim.Optimizer, landscape: bool
) -> Capabilities:
    """Capabilities of a built-in scenario's run: everything but a landscape it may lack."""
    return {
        "source": "scenario",
        "fit": scenario.fit,
        "landscape": landscape,
        "data_plot": scenario.fit is not None,  # the data are drawn under the fit
        "rewind": True,
        "config": True,
        "settable": settable(config, optimizer.param_groups[0]),
        "optimizer_state": state_keys(optimizer),
        "compare": True,
    }


class SentTensors:
    """The params and grads the client holds: those of the last event carrying them.

    A phase event leaves `params` (or `grads`) out when every value is the one sent last:
    a parameter changes only at step, a .grad at zero_grad and backward, so most phase
    events would repeat them. "The same" is the ValueCache's: it hands out the same
    TensorValue object while a tensor is the same object at the same `_version`, and a new
    one after any change (an in-place update bumps the version), so a changed tensor is
    never taken for an unchanged one."""

    def __init__(self) -> None:
        self.params: dict[str, TensorValue] | None = None
        self.grads: dict[str, TensorValue | None] | None = None

    def sent_in_full(
        self, params: dict[str, TensorValue], grads: dict[str, TensorValue | None]
    ) -> None:
        """A session event carried these: the client's frame starts from them."""
        self.params, self.grads = params, grads

    def add_changed(self, event: PhaseEvent, stepper: Stepper) -> None:
        """Put into `event` the params and grads that changed since they were last sent."""
        params, grads = stepper.params_value(), stepper.grads_value()
        if not _same_objects(self.params, params):
            event["params"] = self.params = params
        if not _same_objects(self.grads, grads):
            event["grads"] = self.grads = grads


def _same_objects(
    sent: Mapping[str, TensorValue | None] | None, now: Mapping[str, TensorValue | None]
) -> bool:
    """True when `now` holds the very objects `sent` held, name for name."""
    return (
        sent is not None
        and sent.keys() == now.keys()
        and all(sent[name] is value for name, value in now.items())
    )


def phase_event(
    stepper: Stepper,
    result: PhaseResult,
    losses: LossChunk,
    history: HistoryInfo,
    fit: FitView | None,
    sent: SentTensors | None = None,
) -> PhaseEvent:
    """The PhaseEvent for `result`, with the params and grads that changed since `sent`
    (all of them without it)."""
    s = stepper
    loss = None if result.phase == "forward" or s.loss_value is None else wire_float(s.loss_value)
    event: PhaseEvent = {
        "type": "phase",
        "phase": result.phase,
        "next_phase": s.next_phase,
        "iteration": result.iteration,
        "epoch": result.epoch,
        "batch": result.batch,
        "n_batches": s.n_batches,
        "loss": loss,
        "losses": losses,
        "diverged": s.diverged,
        "history": history,
        "fit": fit,
        "capture": result.capture,
    }
    if sent is None:
        event["params"], event["grads"] = s.params_value(), s.grads_value()
    else:
        sent.add_changed(event, s)
    return event


def session_event(
    stepper: Stepper,
    *,
    run_id: str,
    token: str,
    scenario: Scenario,
    config: RunConfig,
    source: SourceInfo,
    history: HistoryInfo,
    fit: FitView | None,
    landscape: Landscape | None,
) -> SessionEvent:
    """The SessionEvent: what the run is made of, and where it stands."""
    s = stepper
    return {
        "type": "session",
        "run_id": run_id,
        "token": token,
        "capabilities": capabilities(scenario, config, s.optimizer, landscape is not None),
        "scenario": scenario.name,
        "description": scenario.description,
        "config": config.model_dump(mode="json"),
        "config_schema": scenario.config_cls.model_json_schema(),
        "device": str(s.built.device),
        "model": module_tree(s.model, "", type(s.model).__name__),
        "parameters": list(s.params),
        "optimizer": describe_optimizer(s.optimizer, s.params),
        "criterion": {
            "cls": type(s.criterion).__name__,
            "reduction": str(getattr(s.criterion, "reduction", "mean")),
        },
        "source": source,
        "data": {"x": tensor_value(s.x, s.cap), "y": tensor_value(s.y, s.cap)},
        "n_batches": s.n_batches,
        "batch_size": s.batch_size,
        "iteration": s.iteration,
        "epoch": s.epoch,
        "next_phase": PHASES[s.phase_index],
        "params": s.params_value(),
        "grads": s.grads_value(),
        "history": history,
        "references": list_references(s.optimizer, s.params),
        "fit": fit,
        "landscape": landscape,
    }
