"""What each phase of the loop captured, and the phase event that carries it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from .base import _WIRE, Float, PhaseName
from .session import FitView, HistoryInfo, LanguageCapture, ParamReference
from .trace import TracePhase
from .values import Histogram, TensorValue


@with_config(_WIRE)
class ModuleCall(TypedDict):
    module: str  # path, "" for the root
    cls: str
    depth: int
    input: str | None  # key into ForwardCapture.tensors
    output: str | None


@with_config(_WIRE)
class TraceEntry(TypedDict):
    event: Literal["pre_hook", "hook"]  # inside Module.__call__: before forward, after it
    module: str


@with_config(_WIRE)
class ForwardCapture(TypedDict):
    calls: list[ModuleCall]  # in the order __call__ entered them
    trace: list[TraceEntry]  # pre-hooks and hooks in the order torch ran them
    tensors: dict[str, TensorValue]  # each distinct tensor once, referenced by calls
    batch_index: list[int] | None  # rows of the data set in this batch; None = full batch


@with_config(_WIRE)
class LossCapture(TypedDict):
    graph_id: str
    # the criterion's target (this batch); y_pred is node_values[tensors.y_pred]; None when a
    # traced script's loss has no target that could be seen (a loss inside the model)
    y: TensorValue | None
    node_values: dict[str, TensorValue]  # node id → the forward value it produced (when known)


@with_config(_WIRE)
class ZeroGradCapture(TypedDict):
    skipped: bool  # skip_zero_grad: the call did not run
    set_to_none: bool
    before: dict[str, TensorValue | None]
    after: dict[str, TensorValue | None]


@with_config(_WIRE)
class GradFill(TypedDict):
    param: str
    node: str  # the AccumulateGrad node that filled it
    # .grad right after the fill; a frame within its byte budget leaves it out when it is the
    # frame's own grads[param] (training/framebudget.py)
    value: NotRequired[TensorValue]


@with_config(_WIRE)
class BackwardCapture(TypedDict):
    graph_id: str
    order: list[str]  # node ids in the order autograd executed them
    sent: dict[
        str, list[TensorValue | None]
    ]  # node id → gradient sent along each next_functions slot
    fills: list[GradFill]  # in the order .grad was filled
    # Nodes whose `sent` a frame within its byte budget left out (training/framebudget.py),
    # in the order autograd ran them; absent when none was.
    left_out: NotRequired[list[str]]


UpdateTermKey = Literal[
    "lr",
    "grad",
    "grad_with_weight_decay",
    "momentum_buffer_prev",
    "momentum_buffer",
    "direction",
    "step",
    "decay_factor",
    "decayed_param",
    "exp_avg_prev",
    "exp_avg",
    "exp_avg_sq_prev",
    "exp_avg_sq",
    "max_exp_avg_sq",
    "bias_correction1",
    "bias_correction2",
    "step_size",
    "bias_correction2_sqrt",
    "exp_avg_hat",
    "exp_avg_sq_hat",
    "denom",
    "param",
]


@with_config(_WIRE)
class UpdateTerm(TypedDict):
    """One term of a parameter's update rule, as torch computed it on the run's device
    (a tensor of the parameter's shape, or a Python float torch's optimizer used)."""

    key: UpdateTermKey
    value: TensorValue | Float


@with_config(_WIRE)
class ParamUpdate(TypedDict):
    name: str
    before: TensorValue
    grad: TensorValue | None
    after: TensorValue
    hyper: dict[str, Float | bool | list[Float] | None]
    state: dict[str, TensorValue | Float]  # momentum_buffer, exp_avg, exp_avg_sq, step
    # The update replayed on clones with the kernels step() used, in the order it used them
    # (docs/protocol.md lists the terms of each rule); empty for an optimizer not replayed.
    terms: list[UpdateTerm]
    kernel: Literal["single_tensor", "foreach", "fused"] | None  # the path step() took
    same_bits: bool | None  # replayed parameter and state torch.equal step()'s; None: no replay
    # Set when the update was replayed on the parameter's first `replay_head` elements only
    # (row-major; a parameter whose update travels as summaries): same_bits compares those
    # elements with step()'s, and every tensor term holds the first 8 of them.
    replay_head: NotRequired[int]
    # mean |after − before| over every element, by torch (the page cannot work it out
    # from summaries)
    mean_abs_change: NotRequired[Float]


@with_config(_WIRE)
class StepCapture(TypedDict):
    skipped: list[str]  # parameters without .grad, left alone by step()
    updates: list[ParamUpdate]
    references: list[ParamReference]
    # Parameters step() updated whose detail this frame does not send (a model of many
    # tensors: training/framebudget.py); their norms are in `layers`, the detail on request
    # (`update`). Absent when every update is in `updates`.
    brief: NotRequired[list[str]]


@with_config(_WIRE)
class LossChunk(TypedDict):
    """Losses of consecutive iterations: iteration `first + k` has loss `values[k]`; null
    when no loss was seen in it (a traced script's iteration without a backward())."""

    first: int
    values: Sequence[Float | None]


@with_config(_WIRE)
class LayerStats(TypedDict):
    """One parameter's health after a step, computed by torch (capture/layers.py)."""

    name: str
    numel: int
    value_norm: Float  # ‖w‖ before the step
    grad_norm: Float | None  # ‖.grad‖ the step used; None: no .grad
    update_norm: Float  # ‖Δw‖ = ‖after − before‖
    ratio: Float | None  # ‖Δw‖ / ‖w‖; None when ‖w‖ = 0
    flag: Literal["exploding", "vanishing"] | None  # thresholds in capture/layers.py
    values: Histogram  # of the parameter after the step
    grads: Histogram | None  # of its .grad


@with_config(_WIRE)
class PhaseEvent(TypedDict):
    """One phase ran; `capture` holds what torch did in it."""

    type: Literal["phase"]
    phase: PhaseName
    # the phase that runs next; left out by a traced script that has not announced it yet
    next_phase: NotRequired[PhaseName]
    iteration: int  # the iteration this phase belongs to (0-based)
    epoch: int
    batch: int  # index of the batch within its epoch
    n_batches: int
    loss: Float | None  # this iteration's loss, once computed
    # the losses of the iterations completed since the previous phase event (the latest
    # 10 000; older ones come first, in `losses` events); `first` is the next iteration
    # to complete when there are none
    losses: LossChunk
    diverged: bool
    # Every parameter and its .grad as they are now; a built-in run leaves either out when
    # none of its tensors changed since the last event that carried it (the client keeps
    # the values it holds; docs/protocol.md, "What a phase event leaves out").
    params: NotRequired[dict[str, TensorValue]]
    grads: NotRequired[dict[str, TensorValue | None]]
    history: HistoryInfo | None
    fit: FitView | None  # after `step` (the parameters changed) when the run has a fit
    capture: ForwardCapture | LossCapture | ZeroGradCapture | BackwardCapture | StepCapture | None
    language: NotRequired[LanguageCapture]  # a language model's captured phase only
    layers: NotRequired[list[LayerStats]]  # a captured step: every parameter's health
    trace: NotRequired[TracePhase]  # a traced script's phase only


@with_config(_WIRE)
class LossesEvent(LossChunk):
    """A LossChunk that did not fit in a phase event's `losses` (a long command, or phase
    events coalesced for a slow reader); sent before that phase event, in order, so that
    every iteration's loss reaches the client. Iteration `first + k` is in epoch
    `(first + k) // n_batches`."""

    type: Literal["losses"]
    n_batches: int
