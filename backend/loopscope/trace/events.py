"""Events of a traced script that the built-in scenarios do not have, as pydantic models.

Captures reuse the protocol's shapes (ForwardCapture, ZeroGradCapture, BackwardCapture,
StepCapture, GraphEvent); what only a traced script has (its output, its end, evaluation
calls, what the loop detector saw) is defined here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..protocol import (
    BackwardCapture,
    Float,
    ForwardCapture,
    GraphEvent,
    LossCapture,
    ModuleInfo,
    OptimizerInfo,
    PhaseName,
    StepCapture,
    TensorValue,
    ZeroGradCapture,
)

EndStatus = Literal["finished", "failed", "stopped"]
LossSource = Literal["criterion", "functional", "model", "backward"]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TraceLocation(_Event):
    """Where the script is: the innermost frame in the script's folder (1-based lines)."""

    file: str  # relative to the script's folder: "train.py", "model.py"
    line: int
    end_line: int | None = None
    col: int | None = None  # 0-based, from co_positions(): tells two calls on one line apart
    end_col: int | None = None
    function: str


class TraceLossCapture(LossCapture):
    """LossCapture where the target may be unknown (a custom criterion, a loss inside the model)."""

    y: TensorValue | None
    source: LossSource  # which call produced the loss
    function: str  # "MSELoss", "cross_entropy", or the op that made the 0-dim tensor


class TracePhaseEvent(_Event):
    """A phase of the script's training loop ran; `capture` when this iteration was captured."""

    type: Literal["phase"]
    phase: PhaseName
    iteration: int  # 0-based: the number of iterations completed before this phase
    micro_batch: int  # backward() calls already made in this iteration
    location: TraceLocation | None
    what: str  # "Net", "MSELoss", "cross_entropy", "SGD.zero_grad", "Net.zero_grad", "backward"
    loss: Float | None  # the loss this phase produced or used, when it is known
    loss_inside_model: TraceLocation | None = None  # forward returned a loss computed at ...
    optimizer: int | None = None  # step / zero_grad: the optimizer's index in creation order
    iteration_ended: bool = False  # step: every optimizer has now stepped this iteration
    scaler_skipped: bool = False  # GradScaler.step skipped optimizer.step (inf/NaN grads)
    grad_enabled: bool | None = None  # forward: torch.is_grad_enabled()
    training: bool | None = None  # forward: module.training
    capture: (
        ForwardCapture | TraceLossCapture | ZeroGradCapture | BackwardCapture | StepCapture | None
    )


class TraceStartedEvent(_Event):
    """The child is up and runs the script (sent before the script's first line)."""

    type: Literal["started"]
    pid: int
    script: str
    argv: list[str]
    torch: str


class OptimizerSeen(_Event):
    index: int
    location: TraceLocation | None
    info: OptimizerInfo


class ModelSeen(_Event):
    label: str  # prefix of its parameter names ("" for the first model)
    module: ModuleInfo


class TraceModelEvent(_Event):
    """The models (outermost module calls that reached a backward) and optimizers so far."""

    type: Literal["model"]
    models: list[ModelSeen]
    optimizers: list[OptimizerSeen]


class TraceEvaluationEvent(_Event):
    """Calls of a module whose output never reached a backward: evaluation or inference."""

    type: Literal["evaluation"]
    iteration: int
    what: str  # the module's class
    calls: int  # how many such calls since the last event of this kind
    grad_enabled: bool
    training: bool
    location: TraceLocation | None
    shown_as_forward: bool  # it was shown as a forward phase before its output was known


class TraceGateEvent(_Event):
    """The child waits for the next command, before `next` at `location`."""

    type: Literal["gate"]
    iteration: int
    micro_batch: int
    next: PhaseName
    what: str
    location: TraceLocation | None


class TraceLossesEvent(_Event):
    """Iteration `first + k` ended with loss `values[k]`: the sum of the 0-dim tensors
    backward() was called on in it (None when there was none)."""

    type: Literal["trace_losses"]
    first: int
    values: list[Float | None]


class TraceNoticeEvent(_Event):
    """Something the loop detector saw and could not decide: said, not guessed."""

    type: Literal["notice"]
    iteration: int
    code: str  # "backward_unknown_root", "optimizer_idle", "no_training_step", ...
    message: str
    location: TraceLocation | None = None


class TraceOutputEvent(_Event):
    """One line the script wrote (the newline kept when it had one)."""

    type: Literal["output"]
    stream: Literal["stdout", "stderr"]
    text: str
    iteration: int  # iterations completed when it was printed


class TraceSummary(_Event):
    """What was seen over the whole run."""

    iterations: int
    forwards: int
    evaluation_calls: int
    backwards: int
    steps: int
    zero_grads: int
    optimizers: int


class TraceEndEvent(_Event):
    """The script's process ended."""

    type: Literal["end"]
    status: EndStatus
    exit_code: int
    traceback: str | None  # the script's frames only
    message: str
    summary: TraceSummary | None  # None when the child died before it could report


TraceEvent = Annotated[
    TracePhaseEvent
    | GraphEvent
    | TraceStartedEvent
    | TraceModelEvent
    | TraceEvaluationEvent
    | TraceGateEvent
    | TraceLossesEvent
    | TraceNoticeEvent
    | TraceOutputEvent
    | TraceEndEvent,
    Field(discriminator="type"),
]
TRACE_EVENT_ADAPTER: TypeAdapter[TraceEvent] = TypeAdapter(TraceEvent)
