"""One learner's run: commands in, event dicts out (synchronous; the socket runs it in a worker).

Every command either completes or raises a CommandError before changing anything,
so a refused command leaves the run exactly as it was.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError

from ..capture.optimizer import StepRecorder, describe_optimizer, state_keys
from ..capture.values import encode_float, tensor_value
from .configs import SETTABLE, RunConfig
from .history import History, restore_snapshot, take_snapshot
from .scenarios import ConfigError, Scenario, build, get_scenario
from .source import N_PHASES, PHASES, loop_source
from .stepper import PhaseResult, Stepper
from .textview import TextView
from .views import FitView, loss_landscape

# A phase event carries at most this many losses (LossPoint dicts); a command that ran
# more iterations sends the older ones first, compactly, in `losses` events of at most
# LOSSES_CHUNK values each. Every iteration's loss is reported.
MAX_LOSSES_PER_EVENT = 10_000
LOSSES_CHUNK = 50_000
# Rewind checkpoints: one every this many iterations (an iteration between two is reached
# by replaying from the one before it; at most this many - 1 iterations are replayed).
CHECKPOINT_EVERY = 16


class CommandError(Exception):
    """A refused command: `code` and `field` go into the error event."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


MAX_FIELD_CHARS = 80  # a field name is echoed back; one made up by the client is cut
# pydantic error types that mean "a number outside its bounds" (code out_of_range)
BOUND_ERRORS = frozenset(("greater_than", "greater_than_equal", "less_than", "less_than_equal"))


def field_path(loc: Any) -> str:
    """A pydantic error location as a dotted field path, cut to MAX_FIELD_CHARS."""
    path = ".".join(str(part) for part in loc)
    return path if len(path) <= MAX_FIELD_CHARS else path[: MAX_FIELD_CHARS - 1] + "…"


def error_code(error_type: str) -> str:
    """The ErrorCode of a pydantic error type outside a config: out_of_range for a number
    outside its bounds, invalid_message for anything else (shape, type, missing, extra)."""
    return "out_of_range" if error_type in BOUND_ERRORS else "invalid_message"


def first_error(exc: ValidationError, prefix: str = "") -> CommandError:
    """A pydantic ValidationError as a CommandError naming the first offending field."""
    err = exc.errors(include_url=False)[0]
    loc = field_path(err["loc"])
    field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or None)
    code = "invalid_config" if prefix == "config" else error_code(err["type"])
    return CommandError(code, f"{field}: {err['msg']}", field)


def module_tree(module: torch.nn.Module, path: str, name: str) -> dict[str, Any]:
    """ModuleInfo: the module, the parameters in its own _parameters, its children."""
    params = []
    for local, param in module._parameters.items():
        if param is None:
            continue
        qual = f"{path}.{local}" if path else local
        params.append(
            {
                "name": qual,
                "local": local,
                "shape": list(param.shape),
                "requires_grad": param.requires_grad,
                "numel": param.numel(),
            }
        )
    children = [
        module_tree(child, f"{path}.{child_name}" if path else child_name, child_name)
        for child_name, child in module._modules.items()
        if child is not None
    ]
    lines = repr(module).split("\n")
    return {
        "path": path,
        "name": name,
        "cls": type(module).__name__,
        "repr": lines[0] if len(lines) > 1 else repr(module),
        "parameters": params,
        "children": children,
    }


class Session:
    """A run of one scenario: the stepper, its config, its history."""

    def __init__(
        self,
        scenario: str,
        raw_config: dict[str, Any],
        *,
        default_device: str = "auto",
        cap: int = 4096,
        history_bytes: int = 4 * 1024 * 1024,
        max_iterations: int = 200_000,
        checkpoint_every: int = CHECKPOINT_EVERY,
    ) -> None:
        self.max_iterations = max_iterations
        self.checkpoint_every = checkpoint_every
        self.default_device = default_device
        self.cap = cap
        self.history = History(history_bytes)
        self.scenario: Scenario = get_scenario(scenario)
        try:
            self.config: RunConfig = self.scenario.validate(raw_config)
        except ValidationError as exc:
            raise first_error(exc, "config") from None
        self.run_id = uuid.uuid4().hex[:12]
        self.landscape: dict[str, Any] | None = None
        self.token = secrets.token_urlsafe(24)  # lets the same learner resume after a drop
        self.stepper = self._build()
        self._refresh_source()
        self.fit_view = self._fit_view()
        self.text_view = self._text_view()
        self.pending_losses: list[Any] = []  # wire losses of consecutive iterations...
        self.pending_first = 0  # ...the first of which is this one
        self.sent_graph_id: str | None = None
        self._checkpoint_due = True  # the next iteration boundary must be a checkpoint
        self._snapshot()
        if self.scenario.landscape:
            s = self.stepper
            w, b = (float(p.detach().reshape(-1)[0]) for p in s.params.values())
            self.landscape = loss_landscape(s.x, s.y, s.criterion, (w, b), self.cap)

    def settable(self) -> list[str]:
        """The hyperparameters `set` accepts for this run: those its optimizer has (betas as
        beta1 and beta2; momentum only when the run uses it), and skip_zero_grad."""
        group = self.stepper.optimizer.param_groups[0]
        keys: list[str] = []
        for key in SETTABLE:
            if key == "momentum":
                ok = self.config.optimizer == "momentum"
            elif key in ("beta1", "beta2"):
                ok = "betas" in group
            else:
                ok = key == "skip_zero_grad" or key in group
            if ok:
                keys.append(key)
        return keys

    def capabilities(self) -> dict[str, Any]:
        """Capabilities: what a built-in scenario's run can show and do."""
        return {
            "source": "scenario",
            "fit": self.scenario.fit,
            "landscape": self.landscape is not None,
            "data_plot": self.scenario.fit is not None,  # the data are drawn under the fit
            "rewind": True,
            "config": True,
            "settable": self.settable(),
            "optimizer_state": state_keys(self.stepper.optimizer),
            "compare": True,
        }

    def _build(self) -> Stepper:
        try:
            built = build(self.scenario, self.config, self.default_device)
        except ConfigError as exc:
            raise CommandError(exc.code, f"{exc.field}: {exc}", exc.field) from None
        c = self.config
        return Stepper(built, c.batch_size, c.seed, c.skip_zero_grad, self.cap)

    # ------------------------------------------------------------------ commands

    def reset(self) -> list[dict[str, Any]]:
        """Rebuild from the same config: same seed, same numbers."""
        stepper = self._build()
        self.stepper = stepper
        self._refresh_source()
        self.fit_view = self._fit_view()
        self.text_view = self._text_view()
        self.history = History(self.history.max_bytes)
        self.pending_losses = []
        self._snapshot()
        return [self.session_event()]

    def step(
        self,
        unit: str,
        count: int,
        capture: bool = True,
        cut_short: Callable[[], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Run `count` phases / iterations / epochs; capture (fully) only the last iteration run.

        `cut_short` is asked between uncaptured iterations; once it says yes, the command
        ends after one more iteration, run and captured like a last one."""
        s = self.stepper
        here = s.iteration * N_PHASES + s.phase_index
        if unit == "phase":
            target = here + count
        elif unit == "iteration":
            target = (s.iteration + count) * N_PHASES
        else:
            target = (s.epoch + count) * s.n_batches * N_PHASES
        if (target - here) // N_PHASES > self.max_iterations:
            raise CommandError(
                "out_of_range",
                f"count: {(target - here) // N_PHASES} iterations in one command;"
                f" at most {self.max_iterations}",
                "count",
            )
        last_iteration = (target - 1) // N_PHASES
        events: list[dict[str, Any]] = []
        result: PhaseResult | None = None
        stepped = False
        graph = None
        s.known_graph_id = self.sent_graph_id
        while s.iteration * N_PHASES + s.phase_index < target:
            if s.phase_index == 0 and s.iteration < last_iteration:
                if cut_short is not None and cut_short():
                    last_iteration = s.iteration
                    target = (last_iteration + 1) * N_PHASES
                    continue
                s.run_iteration()  # a whole iteration that is not the last: nothing to capture
                self._finish_iteration(s.iteration - 1)
                stepped = True
                continue
            result = s.run_phase(capture=capture and s.iteration == last_iteration)
            graph = result.graph or graph
            if result.phase == "step":
                self._finish_iteration(result.iteration)
                stepped = True
        assert result is not None
        if stepped:
            s.check_params()
        events.extend(self._losses_events())
        if graph is not None and graph.graph_id != self.sent_graph_id:
            # The topology goes out only when it changed; values refer to it by node id.
            self.sent_graph_id = graph.graph_id
            events.append(graph.topology)
        events.append(self.phase_event(result))
        return events

    def check_rewind(self, iteration: int) -> None:
        """Raise the CommandError a rewind to `iteration` would meet (not in history)."""
        first = self.history.first
        if first is None or not first <= iteration <= self.stepper.iteration:
            info = self.history_info()
            raise CommandError(
                "out_of_range",
                f"iteration: {iteration} is not in history (kept: {info['first']}..{info['last']})",
                "iteration",
            )

    def rewind(self, iteration: int) -> list[dict[str, Any]]:
        """Back to the start of `iteration` (kept in history); later history becomes a branch.

        The state is restored from the checkpoint at or before `iteration`, then the loop
        runs on (uncaptured) up to `iteration`: the same calls on the same values."""
        self.check_rewind(iteration)
        snapshot = self.history.latest_at_or_before(iteration)
        assert snapshot is not None
        s = self.stepper
        s.abandon_iteration()
        restore_snapshot(snapshot, list(s.params.values()), s.optimizer, s.generator)
        s.generator_state = snapshot.generator
        s.iteration = snapshot.iteration
        s.perm = snapshot.perm
        s.diverged = snapshot.diverged
        s.skip_zero_grad = snapshot.skip_zero_grad
        self.history.truncate_after(snapshot.iteration)
        while s.iteration < iteration:
            s.run_iteration()
        if snapshot.iteration < iteration:
            s.check_params()
            self._snapshot()  # the branch starts here: checkpoint it
        # A `set` always forces a checkpoint, so none happened between it and `iteration`.
        self.config = snapshot.config
        self._refresh_source()
        self.pending_losses = []
        return [self.session_event()]

    def set(self, changes: dict[str, Any]) -> list[dict[str, Any]]:
        """Change hyperparameters in the optimizer's param_groups (and the config) now."""
        try:
            merged = self.scenario.validate({**self.config.model_dump(), **changes})
        except ValidationError as exc:
            raise first_error(exc) from None
        groups = self.stepper.optimizer.param_groups
        settable = self.settable()
        for key in changes:
            if key not in settable:
                name = self.config.optimizer
                hint = " (start with optimizer 'momentum')" if key == "momentum" else ""
                raise CommandError("invalid_message", f"{key}: {name} has no {key}{hint}", key)
        for key, value in changes.items():
            for group in groups:
                if key == "beta1":
                    group["betas"] = (value, group["betas"][1])
                elif key == "beta2":
                    group["betas"] = (group["betas"][0], value)
                elif key != "skip_zero_grad":
                    group[key] = value
        if "skip_zero_grad" in changes:
            self.stepper.skip_zero_grad = bool(changes["skip_zero_grad"])
        self.config = merged
        self._refresh_source()
        # Replay cannot know this happened: the next iteration must be a checkpoint.
        self._checkpoint_due = True
        return [self.session_event()]

    # ------------------------------------------------------------------ events

    def _finish_iteration(self, iteration: int) -> None:
        s = self.stepper
        assert s.loss_value is not None  # every iteration runs its loss phase
        if not self.pending_losses:
            self.pending_first = iteration
        assert iteration == self.pending_first + len(self.pending_losses)
        self.pending_losses.append(_wire_float(s.loss_value))
        if self._checkpoint_due or s.iteration % self.checkpoint_every == 0:
            self._snapshot()

    def _snapshot(self) -> None:
        s = self.stepper
        self._checkpoint_due = False
        self.history.add(
            take_snapshot(
                s.iteration,
                list(s.params.values()),
                s.optimizer,
                s.generator_state,
                s.perm,
                s.diverged,
                s.skip_zero_grad,
                self.config,
            )
        )

    def _refresh_source(self) -> None:
        """The program text as the run stands now: `set` and `rewind` change the optimizer's
        hyperparameters and the zero_grad switch in place, and the listing must say so."""
        s = self.stepper
        self.source = loop_source(self.scenario, self.config, s.criterion, s.optimizer)

    def history_info(self) -> dict[str, int]:
        """HistoryInfo: every iteration from the oldest checkpoint to the current one."""
        first = self.history.first
        return {
            "first": self.stepper.iteration if first is None else first,
            "last": self.stepper.iteration,
            "bytes": self.history.nbytes,
        }

    def _losses_events(self) -> list[dict[str, Any]]:
        """LossesEvents for the pending losses a phase event has no room for (the oldest)."""
        values, first = self.pending_losses, self.pending_first
        spill = len(values) - MAX_LOSSES_PER_EVENT
        if spill <= 0:
            return []
        n_batches = self.stepper.n_batches
        events = [
            {
                "type": "losses",
                "first": first + start,
                "n_batches": n_batches,
                "values": values[start : min(start + LOSSES_CHUNK, spill)],
            }
            for start in range(0, spill, LOSSES_CHUNK)
        ]
        self.pending_losses, self.pending_first = values[spill:], first + spill
        return events

    def phase_event(self, result: PhaseResult) -> dict[str, Any]:
        """The PhaseEvent dict for `result`, with current params, grads and the pending losses
        (`step` sends those beyond MAX_LOSSES_PER_EVENT first, see _losses_events)."""
        s = self.stepper
        first, n_batches = self.pending_first, s.n_batches
        losses = [
            {"iteration": i, "epoch": i // n_batches, "loss": loss}
            for i, loss in enumerate(self.pending_losses, first)
        ]
        self.pending_losses = []
        loss = (
            None if result.phase == "forward" or s.loss_value is None else _wire_float(s.loss_value)
        )
        event: dict[str, Any] = {
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
            "params": s.params_value(),
            "grads": s.grads_value(),
            "history": self.history_info(),
            "fit": self._fit() if result.phase == "step" and result.capture is not None else None,
            "capture": result.capture,
        }
        language = self._language(result)
        if language is not None:  # a language model's captured phase only
            event["language"] = language
        return event

    def _fit_view(self) -> FitView | None:
        fit = self.scenario.fit
        return None if fit is None else FitView(fit, self.stepper.x, self.cap)

    def _text_view(self) -> TextView | None:
        text = self.scenario.text
        return None if text is None else TextView(text(self.config), self.stepper.model, self.cap)

    def _language(self, result: PhaseResult) -> dict[str, Any] | None:
        if self.text_view is None or result.capture is None:
            return None
        x_batch, y_batch = self.stepper.batch_tensors
        y_pred = self.stepper.y_pred
        return self.text_view.capture(result.phase, x_batch, y_pred, y_batch, result.iteration + 1)

    def _fit(self) -> dict[str, Any] | None:
        return None if self.fit_view is None else self.fit_view.value(self.stepper.model)

    def session_event(self) -> dict[str, Any]:
        """The SessionEvent dict: what the run is made of, and where it stands."""
        s = self.stepper
        built = s.built
        # A client may rebuild its view from a session event: send the graph again after it.
        self.sent_graph_id = None
        event: dict[str, Any] = {
            "type": "session",
            "run_id": self.run_id,
            "token": self.token,
            "capabilities": self.capabilities(),
            "scenario": self.scenario.name,
            "description": self.scenario.description,
            "config": self.config.model_dump(mode="json"),
            "config_schema": self.scenario.config_cls.model_json_schema(),
            "device": str(built.device),
            "model": module_tree(s.model, "", type(s.model).__name__),
            "parameters": list(s.params),
            "optimizer": describe_optimizer(s.optimizer, s.params),
            "criterion": {
                "cls": type(s.criterion).__name__,
                "reduction": str(getattr(s.criterion, "reduction", "mean")),
            },
            "source": self.source,
            "data": {"x": tensor_value(s.x, self.cap), "y": tensor_value(s.y, self.cap)},
            "n_batches": s.n_batches,
            "batch_size": s.batch_size,
            "iteration": s.iteration,
            "epoch": s.epoch,
            "next_phase": PHASES[s.phase_index],
            "params": s.params_value(),
            "grads": s.grads_value(),
            "history": self.history_info(),
            "references": StepRecorder(s.optimizer, s.params, s._values).refs,
            "fit": self._fit(),
            "landscape": self.landscape,
        }
        if self.text_view is not None:
            event["language"] = self.text_view.info(s.iteration)
        return event


def _wire_float(value: float) -> Any:
    """A float32 loss as the shortest decimal that gives it back (non-finite as a string)."""
    return np.float32(value) if math.isfinite(value) else encode_float(value)
