"""The traced process's loop state: counters, the phase gate, and what is sent when.

Each training phase first passes the gate (`_before`: the script blocks while the
parent has granted nothing), runs, then reports (`_after`: a phase event when the
iteration is shown).  Uncaptured iterations only count; what they produced (losses,
evaluation calls, new models) is sent in batches by `flush()`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn

from ..capture.graph import Node
from ..capture.modules import module_tree
from ..capture.optimizer import describe_optimizer
from ..protocol import (
    ChildEvent,
    ChildModel,
    ChildPhase,
    EvaluationEvent,
    Float,
    ModelSeen,
    OptimizerSeen,
    PhaseName,
    TraceLocation,
    TraceSummary,
)
from .channel import Channel, ChannelClosed
from .location import Locator
from .loop import Credits, OptimizerCycle, parse_command
from .names import NameTable, module_name
from .recorder import IterationCapture

MAX_PENDING = 8  # forwards kept waiting for a backward; older ones are evaluation calls
FLUSH_SECONDS = 0.25  # while running free, losses are sent at most this often
POLL_SECONDS = 0.01  # while running free, the channel is looked at (for pause) this often


class TraceStopped(BaseException):
    """The parent said stop: raised at a gate, it unwinds the script (finally blocks run)."""


@dataclass(eq=False)
class PendingCall:
    """An outermost module call with grad enabled, waiting to be reached by a backward."""

    module: nn.Module
    nodes: list[Node]
    location: TraceLocation | None
    training: bool
    shown: bool


@dataclass
class Counts:
    forwards: int = 0
    evaluation_calls: int = 0
    backwards: int = 0
    steps: int = 0
    zero_grads: int = 0


@dataclass
class _Call:
    module: nn.Module
    grad: bool
    location: TraceLocation | None
    inner_loss: TraceLocation | None = None
    inner_value: float | None = None
    inner_name: str | None = None
    extra: list[str] = field(default_factory=list)


class LoopState:
    """Counters, gate and sending for one traced process (the hook handlers build on it)."""

    def __init__(self, channel: Channel, locator: Locator, cap: int = 4096) -> None:
        self.channel = channel
        self.locator = locator
        self.pid = os.getpid()
        self.thread = threading.get_ident()
        self.active = True
        self.depth = 0
        self.loss_depth = 0
        self.in_loss_function = False
        self.in_backward = False
        self.in_zero_grad = False
        self.stepping: torch.optim.Optimizer | None = None
        self.closure_calls = 0  # backward() calls inside the current optimizer step
        self.cycle = OptimizerCycle()
        self.credits = Credits()
        self.capturing = False
        self.iteration = 0
        self.micro = 0
        self.phases = 0  # gated phases so far in this iteration
        self.counts = Counts()
        self.pending: list[PendingCall] = []
        self.evicted: list[PendingCall] = []  # pending calls past MAX_PENDING (graph let go)
        self.call: _Call | None = None
        self.loss_seen: tuple[str, TraceLocation | None] | None = None
        self.loss_nodes: set[Node] = set()  # losses seen this iteration (retain_graph reuses)
        self.inner_name: str | None = None
        self.inner_loss: TraceLocation | None = None  # the last forward returned a loss made at
        # this iteration's backward roots: floats on the CPU, detached tensors elsewhere (read
        # when sent, so that a GPU is not made to wait every iteration)
        self.roots: list[float | torch.Tensor] = []
        self.losses: list[list[float | torch.Tensor]] = []  # ended iterations', not yet sent
        self.losses_first = 0
        self.names = NameTable(locator.owns)
        self.capture = IterationCapture(self.names, cap)
        self.step_recorder: Any = None
        self.evaluations: dict[tuple[Any, ...], EvaluationEvent] = {}
        self.evaluated: weakref.WeakSet[nn.Module] = weakref.WeakSet()  # modules counted there
        self.optimizer_locations: list[TraceLocation | None] = []
        self.models_changed = False
        self.noticed: set[str] = set()
        self.last_flush = self.last_poll = time.monotonic()
        # Bytes the script wrote to stdout/stderr through Python, and the iteration the
        # parent was last told that the output belongs to (see writing()).
        self.written = {"stdout": 0, "stderr": 0}
        self.print_iteration = 0
        self.marked = (0, 0)  # the offsets in the latest `printed` mark
        # Fast-forward: between shown iterations the module hooks are off (only iterations,
        # backward calls and steps are counted); hooks.install() provides the switch.
        self.fast = False
        self.set_module_hooks: Callable[[bool], None] | None = None

    # ------------------------------------------------------------------ plumbing

    def here(self) -> bool:
        """True in the traced process's main thread (not in a forked DataLoader worker)."""
        return self.active and threading.get_ident() == self.thread

    def fail(self, exc: Exception) -> None:
        """A bug of ours must not break the learner's script: stop tracing, say why."""
        if not self.active:
            return
        self.active = False
        message = f"tracing stopped after an internal error ({type(exc).__name__}: {exc}); "
        message += "the script runs on untraced"
        try:
            self.send(
                {
                    "type": "notice",
                    "iteration": self.iteration,
                    "code": "trace_error",
                    "message": message,
                    "location": None,
                }
            )
        except OSError:
            pass

    def writing(self) -> None:
        """The script is about to write output. The first time in an iteration, tell the
        parent: output past the byte offsets written so far belongs to this iteration. The
        parent reads the pipes and this channel separately, so offsets, not arrival order,
        decide which iteration a line belongs to."""
        if self.iteration == self.print_iteration or not self.here():
            return
        self.print_iteration = self.iteration
        with contextlib.suppress(OSError):  # the parent is gone: the print must still work
            self._mark_output()

    def _mark_output(self) -> None:
        written = self.written
        self.marked = (written["stdout"], written["stderr"])
        self.channel.send(
            {
                "type": "printed",
                "iteration": self.print_iteration,
                "stdout": written["stdout"],
                "stderr": written["stderr"],
            }
        )

    def send(self, event: ChildEvent) -> None:
        """Send an event after the script's output so far: the parent then shows that output
        first (a `printed` mark says how far it reaches)."""
        sys.stdout.flush()
        sys.stderr.flush()
        if self.marked != (self.written["stdout"], self.written["stderr"]):
            self._mark_output()
        self.channel.send(event)

    def notice(self, code: str, message: str, once: bool = True) -> None:
        """Say what was seen where the heuristics cannot decide."""
        if once and code in self.noticed:
            return
        self.noticed.add(code)
        self.send(
            {
                "type": "notice",
                "iteration": self.iteration,
                "code": code,
                "message": message,
                "location": self.locator.locate(2),
            }
        )

    def flush(self) -> None:
        """Send what was only counted: losses, evaluation calls, the models when changed."""
        self.last_flush = time.monotonic()
        if self.losses:
            values: list[Float | None] = [
                float(sum(v if isinstance(v, float) else v.item() for v in roots))
                if roots
                else None
                for roots in self.losses
            ]
            self.send({"type": "trace_losses", "first": self.losses_first, "values": values})
            self.losses_first += len(self.losses)
            self.losses = []
        for entry in self.evaluations.values():
            self.send(entry)
        self.evaluations.clear()
        if self.models_changed:
            self.models_changed = False
            self.send(self.model_event())

    def model_event(self) -> ChildModel:
        """The models and optimizers seen so far."""
        models: list[ModelSeen] = [
            {"label": label, "module": module_tree(module, label, module_name(module))}
            for label, module in self.names.models
        ]
        optimizers: list[OptimizerSeen] = [
            {
                "index": self.cycle.index_of(opt),
                "location": self.optimizer_locations[self.cycle.index_of(opt)],
                "info": describe_optimizer(opt, self.names.for_optimizer(opt)),
            }
            for opt in self.cycle.live()
        ]
        return {"type": "model", "models": models, "optimizers": optimizers}

    # ------------------------------------------------------------------ the gate

    def _wait(self, phase: PhaseName, what: str) -> None:
        self.flush()
        self.send(
            {
                "type": "gate",
                "iteration": self.iteration,
                "micro_batch": self.micro,
                "next": phase,
                "what": what,
                "location": self.locator.locate(3),
            }
        )
        while True:
            try:
                message = self.channel.recv()
            except (ChannelClosed, OSError):
                raise TraceStopped from None
            if self._command(message):
                return

    def _command(self, message: dict[str, Any]) -> bool:
        """Apply one command; True when the script may go on."""
        try:
            cmd, unit, count = parse_command(message)
        except ValueError as exc:
            self.notice("bad_command", str(exc), once=False)
            return False
        if cmd == "stop":
            raise TraceStopped
        if cmd == "pause":
            self.credits.pause()
            return False
        self.credits.grant(unit, count)
        return True

    def _before(self, phase: PhaseName, what: str) -> None:
        if self.credits.exhausted:
            self._wait(phase, what)
        if not self.capturing and (
            self.credits.unit == "phase" or (self.phases == 0 and self.credits.capture_iteration())
        ):
            self.capturing = True
        self.phases += 1

    def _after(self, event: ChildPhase | None) -> None:
        if event is not None and self.capturing:
            self.send(event)
        self.credits.phase_done()

    def _phase(self, phase: PhaseName, what: str, **fields: Any) -> ChildPhase:
        base: ChildPhase = {
            "type": "phase",
            "phase": phase,
            "iteration": self.iteration,
            "micro_batch": self.micro,
            "location": None,
            "what": what,
            "loss": None,
            "capture": None,
        }
        # the keyword fields (captures, locations) are checked where the tests validate
        # every event against ChildPhase, not here
        return cast(ChildPhase, {**base, **fields})

    def _end_iteration(self, ended: int) -> None:
        self.iteration += ended
        self.micro = 0
        self.phases = 0
        self.losses.append(self.roots)
        if ended > 1:
            self.losses.extend([] for _ in range(ended - 1))
        self.roots = []
        self.loss_nodes.clear()
        if self.pending or self.evicted:
            self._undecided_are_evaluation()
        self.credits.iteration_done(ended)
        if self.capturing:
            self.capture.end_iteration()
            self.capturing = False
        if self.credits.remaining != 0:
            now = time.monotonic()
            if now - self.last_poll > POLL_SECONDS:
                self.last_poll = now
                if self.channel.pending():
                    try:
                        message = self.channel.recv()
                    except (ChannelClosed, OSError):
                        raise TraceStopped from None
                    self._command(message)
            if now - self.last_flush > FLUSH_SECONDS:
                self.flush()
        remaining = self.credits.remaining
        fast = self.credits.unit == "iteration" and remaining != 1 and remaining != 0
        fast = fast and self.depth == 0
        if fast != self.fast and self.set_module_hooks is not None:
            self.fast = fast
            self.set_module_hooks(not fast)

    def _undecided_are_evaluation(self) -> None:
        """Calls whose output reached no backward: evaluation or inference."""
        for call in self.evicted + self.pending:
            self._evaluation(call.module, True, call.training, call.location, call.shown)
        self.evicted.clear()
        self.pending.clear()

    def _evaluation(
        self,
        module: nn.Module,
        grad: bool,
        training: bool,
        location: TraceLocation | None,
        shown: bool,
    ) -> None:
        self.counts.evaluation_calls += 1
        self.evaluated.add(module)
        where = (location["file"], location["line"]) if location else None
        key = (module_name(module), grad, training, where, shown)
        entry = self.evaluations.get(key)
        if entry is None:
            entry = self.evaluations[key] = {
                "type": "evaluation",
                "iteration": self.iteration,
                "what": key[0],
                "calls": 0,
                "grad_enabled": grad,
                "training": training,
                "location": location,
                "shown_as_forward": shown,
            }
        entry["calls"] += 1

    def finish(self) -> TraceSummary:
        """The script ended: what is still pending is evaluation; the summary."""
        self._undecided_are_evaluation()
        if self.iteration == 0:
            message = "no optimizer.step() was seen: the script ran no training iteration"
            if self.counts.backwards == 0:
                message = (
                    "no backward() and no optimizer.step() were seen: the script ran no "
                    "training iteration that can be shown (gradients computed by hand, with "
                    "torch.autograd.grad or with torch.func, and updates made with them, are "
                    "not followed)"
                )
            self.notice("no_training_step", message)
        self.flush()
        return {
            "iterations": self.iteration,
            "forwards": self.counts.forwards,
            "evaluation_calls": self.counts.evaluation_calls,
            "backwards": self.counts.backwards,
            "steps": self.counts.steps,
            "zero_grads": self.counts.zero_grads,
            "optimizers": self.cycle.created,
        }
