"""The real loop, paused between phases:

    y_pred = model(x_batch)             # forward
    loss = criterion(y_pred, y_batch)   # loss
    optimizer.zero_grad()               # zero_grad
    loss.backward()                     # backward
    optimizer.step()                    # step

Each phase is exactly that torch call on the real objects.  With `capture=True`
recorders observe it through hooks and the graph walk; they read, never write, so
the numbers are bit-identical to a plain loop.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from ..capture.backward import BackwardRecorder
from ..capture.graph import WalkedGraph, walk_graph
from ..capture.layers import flag_layers
from ..capture.modules import ForwardRecorder
from ..capture.optimizer import StepRecorder
from ..capture.values import ValueCache, decode_float, tensor_value, value_is_finite
from ..protocol import PHASES, PhaseName
from .history import Snapshot, restore_snapshot, take_snapshot
from .scenarios import Built

if TYPE_CHECKING:
    from ..protocol import (
        BackwardCapture,
        ForwardCapture,
        LayerStats,
        LossCapture,
        StepCapture,
        TensorValue,
        ZeroGradCapture,
    )


@dataclass(slots=True)
class PhaseResult:
    """What running one phase gave: its capture (when asked for) and the graph when walked."""

    phase: PhaseName
    iteration: int
    epoch: int
    batch: int
    capture: ForwardCapture | LossCapture | ZeroGradCapture | BackwardCapture | StepCapture | None
    graph: WalkedGraph | None = None
    layers: list[LayerStats] | None = None  # a captured step: every parameter's health
    before: dict[str, torch.Tensor] | None = None  # a captured step: the parameters before it


class Stepper:
    """One run's training loop, advanced one phase at a time."""

    def __init__(
        self, built: Built, batch_size: int | None, seed: int, skip_zero_grad: bool, cap: int
    ) -> None:
        self.built = built
        self.model = built.model
        self.criterion = built.criterion
        self.optimizer = built.optimizer
        self.x, self.y = built.x, built.y
        self.n = int(self.x.shape[0])
        self.batch_size = self.n if batch_size is None else batch_size
        self.windows = built.windows
        self.full_batch = self.windows is None and (batch_size is None or batch_size >= self.n)
        if self.windows is not None:
            self.n_batches = self.windows.per_epoch(self.n)
        else:
            self.n_batches = math.ceil(self.n / self.batch_size)
        self.skip_zero_grad = skip_zero_grad
        self.cap = cap
        self._values = ValueCache(cap)  # params and grads change only at a few phases
        self.params: dict[str, torch.nn.Parameter] = dict(self.model.named_parameters())
        self.param_names = {id(p): name for name, p in self.params.items()}
        # Mini-batch order comes from its own generator so the global RNG stays untouched.
        self.generator = torch.Generator().manual_seed(seed)
        self.perm: torch.Tensor | None = None
        # The generator's state changes only when a permutation is drawn: kept for snapshots.
        self.generator_state = self.generator.get_state()

        self.iteration = 0  # the iteration in progress (or about to start)
        self.phase_index = 0  # the next phase to run
        self.loss_value: float | None = None  # this iteration's loss, once computed
        self.diverged = False

        self._x_batch = self.x
        self._y_batch = self.y
        self._batch_index: torch.Tensor | None = None
        self.y_pred: torch.Tensor | None = None
        self.loss: torch.Tensor | None = None
        # Its hooks stay on the model while iterations are captured one after another.
        self._recorder = ForwardRecorder(self._values)
        self._forward: ForwardRecorder | None = None  # the recorder, once this iteration's ran
        self._backward: BackwardRecorder | None = None
        # The topology the client already has: its saved tensors need not be read again.
        self.known_graph_id: str | None = None
        self._graph: WalkedGraph | None = None  # this iteration's walked graph, once walked
        # The gradient norms of the last captured step, and its iteration (for the flags).
        self._grad_norms: tuple[int, dict[str, float]] = (-1, {})
        # The parameters whose update detail a captured step sends (None: every one), and
        # the last captured step's recorder, which gives the others' detail on request.
        self.step_detail: Collection[str] | None = None
        self.last_step: tuple[int, StepRecorder] | None = None

    # ------------------------------------------------------------------ position

    @property
    def epoch(self) -> int:
        return self.iteration // self.n_batches

    @property
    def batch(self) -> int:
        return self.iteration % self.n_batches

    @property
    def batch_tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This iteration's x_batch and y_batch (once its forward phase ran)."""
        return self._x_batch, self._y_batch

    @property
    def next_phase(self) -> PhaseName:
        return PHASES[self.phase_index]

    # ------------------------------------------------------------------ phases

    def run_phase(self, capture: bool) -> PhaseResult:
        """Run the next phase; with `capture`, record what torch did in it."""
        phase = PHASES[self.phase_index]
        iteration = self.iteration
        result = PhaseResult(
            phase, iteration, iteration // self.n_batches, iteration % self.n_batches, None
        )
        _PHASE_RUNNERS[self.phase_index](self, capture, result)
        if phase == "step":
            self._end_iteration()
        else:
            self.phase_index += 1
        return result

    def run_iteration(self) -> None:
        """A whole iteration, uncaptured, from its first phase (fast-forward and replay):
        the same five calls as `run_phase` makes, without the bookkeeping between them."""
        assert self.phase_index == 0
        self._recorder.detach()
        self._select_batch()
        y_pred = self.model(self._x_batch)
        loss = self.criterion(y_pred, self._y_batch)
        self.loss_value = loss.item()
        if not math.isfinite(self.loss_value):
            self.diverged = True
        if not self.skip_zero_grad:
            self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.iteration += 1

    def _select_batch(self) -> None:
        if self.windows is not None:  # fresh random windows every iteration
            self._x_batch, self._y_batch = self.windows.draw(self.x, self.y, self.generator)
            self.generator_state = self.generator.get_state()
            return
        if self.full_batch:
            self._x_batch, self._y_batch = self.x, self.y
            self._batch_index = None
            return
        if self.batch == 0 or self.perm is None:
            self.perm = torch.randperm(self.n, generator=self.generator)
            self.generator_state = self.generator.get_state()
        index = self.perm[self.batch * self.batch_size : (self.batch + 1) * self.batch_size].to(
            self.x.device
        )
        self._x_batch, self._y_batch = self.x[index], self.y[index]
        self._batch_index = index

    def _run_forward(self, capture: bool, result: PhaseResult) -> None:
        self.loss_value = None
        self._select_batch()
        if not capture:
            self._recorder.detach()
            self.y_pred = self.model(self._x_batch)
            return
        recorder = self._recorder
        recorder.start(self.model, {"x": self._x_batch})
        try:
            self.y_pred = self.model(self._x_batch)
        finally:
            recorder.stop()
        recorder.rename(self.y_pred, "y_pred")
        self._forward = recorder
        index = self._batch_index
        result.capture = recorder.capture(None if index is None else index.tolist())

    def _run_loss(self, capture: bool, result: PhaseResult) -> None:
        assert self.y_pred is not None
        self.loss = self.criterion(self.y_pred, self._y_batch)
        self.loss_value = self.loss.item()
        if not math.isfinite(self.loss_value):
            self.diverged = True
        if not capture or self.loss.grad_fn is None:
            return
        fwd = self._forward
        named: dict[str, torch.Tensor] = {
            "x": self._x_batch,
            "y": self._y_batch,
            "y_pred": self.y_pred,
        }
        if fwd is not None:
            named.update({path: t for path, t in fwd.outputs.items() if path})
        named.update(self.params)
        module_of = dict(fwd.module_of) if fwd is not None else {}
        module_of.setdefault(self.loss.grad_fn, "criterion")
        known = self.known_graph_id
        graph = walk_graph(self.loss.grad_fn, self.param_names, named, module_of, known)
        ids = {node: node_id for node_id, node in graph.nodes.items()}
        tensors = {"loss": ids[self.loss.grad_fn]}
        node_values = {ids[self.loss.grad_fn]: tensor_value(self.loss, self.cap)}
        if self.y_pred.grad_fn in ids:
            tensors["y_pred"] = ids[self.y_pred.grad_fn]
        if fwd is not None:
            for path, out in fwd.outputs.items():
                node_id = ids.get(out.grad_fn)
                if node_id is not None and node_id not in node_values:
                    key = "y_pred" if out is self.y_pred else path
                    node_values[node_id] = fwd.tensors.get(key) or tensor_value(out, self.cap)
        graph.topology["tensors"] = tensors
        self._graph = graph
        # Hooks go on now, while this iteration's nodes are known; backward removes them.
        self._backward = BackwardRecorder(graph, self.params, self._values)
        result.graph = graph
        result.capture = {
            "graph_id": graph.graph_id,
            "y": self._values.param("data:y", self._y_batch),
            "node_values": node_values,
        }

    def _run_zero_grad(self, capture: bool, result: PhaseResult) -> None:
        before = self.grads_value() if capture else None
        if not self.skip_zero_grad:
            self.optimizer.zero_grad()
        if before is not None:
            result.capture = {
                "skipped": self.skip_zero_grad,
                "set_to_none": True,
                "before": before,
                "after": self.grads_value(),
            }

    def _run_backward(self, capture: bool, result: PhaseResult) -> None:
        assert self.loss is not None
        recorder = self._backward
        try:
            self.loss.backward()
        finally:
            if recorder is not None:
                recorder.remove()
        if capture and recorder is not None:
            result.capture = recorder.capture()

    def _run_step(self, capture: bool, result: PhaseResult) -> None:
        recorder = (
            StepRecorder(self.optimizer, self.params, self._values, self.step_detail)
            if capture
            else None
        )
        self.optimizer.step()
        self.last_step = None if recorder is None else (self.iteration, recorder)
        if recorder is not None:
            result.capture = recorder.capture()
            layers = recorder.layers()
            # Gradient growth is judged against the previous captured step, when it came
            # before this one (not after a rewind).
            last, norms = self._grad_norms
            flag_layers(layers, norms if last < self.iteration else {})
            self._grad_norms = (
                self.iteration,
                {
                    s["name"]: decode_float(s["grad_norm"])
                    for s in layers
                    if s["grad_norm"] is not None
                },
            )
            result.layers = layers
            result.before = recorder.start

    def check_params(self) -> None:
        """Mark the run diverged when a parameter is no longer finite (the loss is checked
        every iteration; parameters when a step is captured and when a command ends)."""
        if not self.diverged and not all(map(value_is_finite, self.params_value().values())):
            self.diverged = True

    def _drop_iteration(self) -> None:
        """Drop this iteration's graph and recorders: nothing autograd survives an iteration."""
        if self._backward is not None:
            self._backward.remove()  # no-op after backward ran; needed when abandoning
            self._backward = None
        if self._forward is not None:
            self._forward.release()
            self._forward = None
        self.y_pred = None
        self.loss = None
        self._graph = None
        self.phase_index = 0

    def _end_iteration(self) -> None:
        self._drop_iteration()
        self.iteration += 1

    def checkpoint(self, config: Any = None) -> Snapshot:
        """A Snapshot of the start of the current iteration (between iterations only)."""
        assert self.phase_index == 0
        params = list(self.params.values())
        return take_snapshot(
            self.iteration,
            params,
            self.optimizer,
            self.generator_state,
            self.perm,
            self.diverged,
            self.skip_zero_grad,
            config,
        )

    def restore(self, snapshot: Snapshot) -> None:
        """Back to the start of `snapshot`'s iteration: values, .grad, optimizer state and
        hyperparameters, mini-batch order, the zero_grad switch (a half-run iteration is
        dropped)."""
        self.abandon_iteration()
        self.last_step = None  # its update is not the run's any more
        restore_snapshot(snapshot, list(self.params.values()), self.optimizer, self.generator)
        self.generator_state = snapshot.generator
        self.iteration = snapshot.iteration
        self.perm = snapshot.perm
        self.diverged = snapshot.diverged
        self.skip_zero_grad = snapshot.skip_zero_grad

    def abandon_iteration(self) -> None:
        """Forget a half-run iteration (used by rewind): hooks off, graph dropped."""
        self._drop_iteration()
        self.loss_value = None

    # ------------------------------------------------------------------ views

    def params_value(self) -> dict[str, TensorValue]:
        """Every parameter's current value (TensorValue dicts)."""
        return {name: self._values.param(name, p) for name, p in self.params.items()}

    def grads_value(self) -> dict[str, TensorValue | None]:
        """Every parameter's current .grad (None where it is None)."""
        return {name: self._values.grad(name, p) for name, p in self.params.items()}


# Stepper._run_<phase> in PHASES (plain functions: a stepper holding its own bound
# methods would be a reference cycle, freed only by the cyclic GC).
_PHASE_RUNNERS = tuple(getattr(Stepper, f"_run_{phase}") for phase in PHASES)
