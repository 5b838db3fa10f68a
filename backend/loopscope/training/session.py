"""One learner's run: commands in, event dicts out (synchronous; the socket runs it in a worker).

Every command either completes or raises a CommandError before changing anything,
so a refused command leaves the run exactly as it was.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError

from ..protocol import PHASES
from .configs import RunConfig
from .errors import CommandError, first_error
from .events import PendingLosses, SentTensors, phase_event, session_event, settable
from .framebudget import FEW_TENSORS, FrameFitter
from .fulltensor import full_tensor, update_detail
from .history import History
from .leftout import LeftOut, left_out_of, sent_answer
from .scenarios import ConfigError, Scenario, build, get_scenario
from .source import N_PHASES, loop_source
from .stepper import PhaseResult, Stepper
from .textview import TextView
from .views import FitGrid, loss_landscape

if TYPE_CHECKING:
    from ..protocol import (
        FitView,
        GraphEvent,
        HistoryInfo,
        Landscape,
        LanguageCapture,
        LossesEvent,
        OptimizerStateKey,
        PhaseEvent,
        SentEvent,
        SessionEvent,
        SetRecord,
        TensorEvent,
        TensorKind,
        UpdateEvent,
    )

    OutgoingEvent = (
        SessionEvent | GraphEvent | LossesEvent | PhaseEvent | TensorEvent | UpdateEvent | SentEvent
    )


def _handed_over(events: list[OutgoingEvent]) -> list[dict[str, Any]]:
    """Events as the connection takes them: plain dicts, which its outbox may merge."""
    return cast("list[dict[str, Any]]", events)


# Rewind checkpoints: one every this many iterations (an iteration between two is reached
# by replaying from the one before it; at most this many - 1 iterations are replayed).
CHECKPOINT_EVERY = 16
# The `set`s listed in the session event (what a shared link replays); older ones are only
# counted, so a flood of `set`s cannot grow the run.
MAX_SET_LOG = 64


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
        self.built_config = self.config  # what reset rebuilds from changes with `set`
        self.run_id = uuid.uuid4().hex[:12]
        self.landscape: Landscape | None = None
        self.token = secrets.token_urlsafe(24)  # lets the same learner resume after a drop
        self.stepper = self._build()
        self._refresh_source()
        self.fit_grid = self._fit_grid()
        self.text_view = self._text_view()
        self.losses = PendingLosses()
        self.sent = SentTensors()  # the params and grads the client holds
        self.fitter = FrameFitter()  # frames of a model of many tensors within the budget
        self.left_out: LeftOut | None = None  # what the latest backward frame left out
        self.sent_graph_id: str | None = None
        self.set_log: list[SetRecord] = []
        self.sets_dropped = 0
        self._checkpoint_due = True  # the next iteration boundary must be a checkpoint
        self._snapshot()
        if self.scenario.landscape:
            s = self.stepper
            w, b = (float(p.detach().reshape(-1)[0]) for p in s.params.values())
            self.landscape = loss_landscape(s.x, s.y, s.criterion, (w, b), self.cap)

    def _build(self) -> Stepper:
        try:
            built = build(self.scenario, self.config, self.default_device)
        except ConfigError as exc:
            raise CommandError(exc.code, f"{exc.field}: {exc}", exc.field) from None
        c = self.config
        stepper = Stepper(built, c.batch_size, c.seed, c.skip_zero_grad, self.cap)
        if len(stepper.params) > FEW_TENSORS:  # updates in detail when the learner asks
            stepper.step_detail = set()
        return stepper

    # ------------------------------------------------------------------ commands

    def reset(self) -> list[dict[str, Any]]:
        """Rebuild from the same config: same seed, same numbers."""
        stepper = self._build()
        self.stepper = stepper
        self.built_config = self.config
        self._refresh_source()
        self.fit_grid = self._fit_grid()
        self.text_view = self._text_view()
        self.history = History(self.history.max_bytes)
        self.losses.clear()
        self.set_log, self.sets_dropped = [], 0
        self._snapshot()
        return self._opening_events()

    def position(self) -> int:
        """Phases run so far (iteration × 5 + the phase within it)."""
        return self.stepper.iteration * N_PHASES + self.stepper.phase_index

    def target_position(self, unit: str, count: int) -> int:
        """The position a `step` of `count` `unit`s ends at."""
        s = self.stepper
        if unit == "phase":
            return self.position() + count
        if unit == "iteration":
            return (s.iteration + count) * N_PHASES
        return (s.epoch + count) * s.n_batches * N_PHASES

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
        here = self.position()
        target = self.target_position(unit, count)
        if (target - here) // N_PHASES > self.max_iterations:
            raise CommandError(
                "out_of_range",
                f"count: {(target - here) // N_PHASES} iterations in one command;"
                f" at most {self.max_iterations}",
                "count",
            )
        last_iteration = (target - 1) // N_PHASES
        events: list[OutgoingEvent] = []
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
                self.left_out = None  # its backward ran: the one kept is past
                self._finish_iteration(s.iteration - 1)
                stepped = True
                continue
            result = s.run_phase(capture=capture and s.iteration == last_iteration)
            graph = result.graph or graph
            if result.phase == "backward":
                self.left_out = None
            if result.phase == "step":
                self._finish_iteration(result.iteration)
                stepped = True
        assert result is not None
        if stepped:
            s.check_params()
        events.extend(self.losses.spill(s.n_batches))
        if graph is not None and graph.graph_id != self.sent_graph_id:
            # The topology goes out only when it changed; values refer to it by node id.
            self.sent_graph_id = graph.graph_id
            events.append(graph.topology)
        fit = self._fit() if result.phase == "step" and result.capture is not None else None
        losses = self.losses.take(s.iteration)
        event = phase_event(s, result, losses, self.history_info(), fit, self.sent)
        language = self._language(result)
        if language is not None:  # a language model's captured phase only
            event["language"] = language
        if result.layers is not None:
            event["layers"] = result.layers
        if len(s.params) > FEW_TENSORS:  # a model of many tensors: frames within the budget
            taken: dict[str, Any] = {}
            event = self.fitter.fit(event, taken)
            self.left_out = left_out_of(event, taken) or self.left_out
        events.append(event)
        return _handed_over(events)

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
        s.restore(snapshot)
        self.history.truncate_after(snapshot.iteration)
        while s.iteration < iteration:
            s.run_iteration()
        if snapshot.iteration < iteration:
            s.check_params()
            self._snapshot()  # the branch starts here: checkpoint it
        # A `set` always forces a checkpoint, so none happened between it and `iteration`.
        self.config = snapshot.config
        # A set made at or after the start of `iteration` is not in the state restored (the
        # checkpoint after a set is the next iteration's): it leaves this branch.
        here = iteration * N_PHASES
        self.set_log = [r for r in self.set_log if self._position_of(r) < here]
        self._refresh_source()
        self.losses.clear()
        return self._opening_events()

    def tensor(
        self, name: str, kind: TensorKind, key: OptimizerStateKey | None
    ) -> list[dict[str, Any]]:
        """The `tensor` event: one tensor in full, as the run holds it now (changes nothing)."""
        return _handed_over([full_tensor(self.stepper, name, kind, key)])

    def update(self, name: str) -> list[dict[str, Any]]:
        """The `update` event: parameter `name`'s update detail of the latest captured step;
        the step frames that follow send its detail too (a model of many tensors)."""
        return _handed_over([update_detail(self.stepper, name)])

    def sent_grads(self, node: str) -> list[dict[str, Any]]:
        """The `sent` event: what `node` sent in the latest backward, which its frame left out
        (changes nothing)."""
        return _handed_over([sent_answer(self.left_out, node)])

    def set(self, changes: dict[str, Any]) -> list[dict[str, Any]]:
        """Change hyperparameters in the optimizer's param_groups (and the config) now."""
        try:
            merged = self.scenario.validate({**self.config.model_dump(), **changes})
        except ValidationError as exc:
            raise first_error(exc) from None
        groups = self.stepper.optimizer.param_groups
        accepted = settable(self.config, groups[0])
        for key in changes:
            if key not in accepted:
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
        self._log_set(changes)
        return self._opening_events()

    def _log_set(self, changes: dict[str, Any]) -> None:
        s = self.stepper
        record: SetRecord = {
            "iteration": s.iteration,
            "next_phase": PHASES[s.phase_index],
            "changes": dict(changes),
        }
        self.set_log.append(record)
        if len(self.set_log) > MAX_SET_LOG:
            self.set_log.pop(0)
            self.sets_dropped += 1

    @staticmethod
    def _position_of(record: SetRecord) -> int:
        return record["iteration"] * N_PHASES + PHASES.index(record["next_phase"])

    # ------------------------------------------------------------------ events

    def _finish_iteration(self, iteration: int) -> None:
        s = self.stepper
        assert s.loss_value is not None  # every iteration runs its loss phase
        self.losses.add(iteration, s.loss_value)
        if self._checkpoint_due or s.iteration % self.checkpoint_every == 0:
            self._snapshot()

    def _snapshot(self) -> None:
        self._checkpoint_due = False
        self.history.add(self.stepper.checkpoint(self.config))

    def _refresh_source(self) -> None:
        """The program text as the run stands now: `set` and `rewind` change the optimizer's
        hyperparameters and the zero_grad switch in place, and the listing must say so."""
        s = self.stepper
        self.source = loop_source(self.scenario, self.config, s.criterion, s.optimizer)

    def history_info(self) -> HistoryInfo:
        """HistoryInfo: every iteration from the oldest checkpoint to the current one."""
        first = self.history.first
        return {
            "first": self.stepper.iteration if first is None else first,
            "last": self.stepper.iteration,
            "bytes": self.history.nbytes,
        }

    def _fit_grid(self) -> FitGrid | None:
        fit = self.scenario.fit
        return None if fit is None else FitGrid(fit, self.stepper.x, self.cap)

    def _fit(self) -> FitView | None:
        return None if self.fit_grid is None else self.fit_grid.value(self.stepper.model)

    def _text_view(self) -> TextView | None:
        text = self.scenario.text
        return (
            None
            if text is None
            else TextView(text(self.config), self.stepper.model, self.cap, self.stepper.optimizer)
        )

    def _language(self, result: PhaseResult) -> LanguageCapture | None:
        if self.text_view is None or result.capture is None:
            return None
        x_batch, y_batch = self.stepper.batch_tensors
        y_pred = self.stepper.y_pred
        return self.text_view.capture(
            result.phase, x_batch, y_pred, y_batch, result.iteration + 1, result.before
        )

    def session_event(self) -> dict[str, Any]:
        """The SessionEvent: what the run is made of, and where it stands (changes nothing)."""
        return _handed_over([self._session_event()])[0]

    def _session_event(self) -> SessionEvent:
        event = session_event(
            self.stepper,
            run_id=self.run_id,
            token=self.token,
            scenario=self.scenario,
            config=self.config,
            source=self.source,
            history=self.history_info(),
            fit=self._fit(),
            landscape=self.landscape,
        )
        self.sent.sent_in_full(event["params"], event["grads"])
        if self.text_view is not None:  # a language model's run only
            event["language"] = self.text_view.info(self.stepper.iteration)
        event["sets"] = {
            "entries": list(self.set_log),
            "dropped": self.sets_dropped,
            "start_config": self.built_config.model_dump(mode="json"),
        }
        return event

    def _opening_events(self) -> list[dict[str, Any]]:
        """A session event after which the client rebuilds its view: the graph goes out again
        with the next captured loss phase."""
        self.sent_graph_id = None
        self.left_out = None  # a reset, rewind or set: that backward is no longer the run's
        return _handed_over([self._session_event()])
