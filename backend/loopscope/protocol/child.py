"""What a traced script's process tells the server, over its local channel (never /ws).

The child builds these as plain dicts that mypy checks against these definitions; the
events a page gets in the same shape (graph, notice, evaluation, end) are the page's own
definitions, sent on unchanged.  What differs from the page's protocol, and why:

- `phase` (ChildPhase): the child knows the phase it ran and what it captured, not the
  run's state around it (the parameters and gradients kept from earlier captures, the
  next phase, the losses since the previous event): the server adds those (PhaseEvent).
- `trace_losses`: a script has no batches the server could name; the page's `losses`
  event adds `n_batches = 1`.
- `gate`, `model`, `started`, `printed`: only for the server (the next phase, the session's
  model tree, a fresh process, the iteration that printed the lines read so far).

`output` is made by the server from the child's pipes, and reported among these.
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field, TypeAdapter, with_config
from typing_extensions import TypedDict

from .base import _WIRE, Float, PhaseName
from .graph import GraphEvent
from .phase import BackwardCapture, ForwardCapture, LossCapture, StepCapture, ZeroGradCapture
from .session import ModuleInfo, OptimizerInfo
from .trace import EndEvent, EvaluationEvent, NoticeEvent, OutputEvent, TraceLocation

LossSource = Literal["criterion", "functional", "model", "backward"]


@with_config(_WIRE)
class TraceLossCapture(LossCapture):
    """LossCapture with where the loss came from (the page gets `source` in `trace`)."""

    source: LossSource  # which call produced the loss
    function: str  # "MSELoss", "cross_entropy", or the op that made the 0-dim tensor


@with_config(_WIRE)
class ChildPhase(TypedDict):
    """A phase of the script's loop ran; `capture` when this iteration is shown."""

    type: Literal["phase"]
    phase: PhaseName
    iteration: int  # 0-based: iterations completed before this phase
    micro_batch: int  # backward() calls already made in this iteration
    location: TraceLocation | None
    what: str  # "Net", "MSELoss", "cross_entropy", "SGD.zero_grad", "backward"
    loss: Float | None  # the loss this phase produced or used, when it is known
    loss_inside_model: NotRequired[TraceLocation | None]  # forward returned a loss made here
    optimizer: NotRequired[int | None]  # step / zero_grad: index in creation order
    iteration_ended: NotRequired[bool]  # step: every optimizer has stepped this iteration
    scaler_skipped: NotRequired[bool]  # GradScaler.step skipped optimizer.step
    grad_enabled: NotRequired[bool | None]  # forward: torch.is_grad_enabled()
    training: NotRequired[bool | None]  # forward: module.training
    capture: (
        ForwardCapture | TraceLossCapture | ZeroGradCapture | BackwardCapture | StepCapture | None
    )


@with_config(_WIRE)
class ChildStarted(TypedDict):
    """The child is up (sent before the script's first line)."""

    type: Literal["started"]
    pid: int
    script: str
    argv: list[str]
    torch: str


@with_config(_WIRE)
class OptimizerSeen(TypedDict):
    index: int  # in creation order
    location: TraceLocation | None
    info: OptimizerInfo


@with_config(_WIRE)
class ModelSeen(TypedDict):
    label: str  # prefix of its parameter names ("" for the first model)
    module: ModuleInfo


@with_config(_WIRE)
class ChildModel(TypedDict):
    """The models (outermost module calls that reached a backward) and optimizers so far."""

    type: Literal["model"]
    models: list[ModelSeen]
    optimizers: list[OptimizerSeen]


@with_config(_WIRE)
class ChildGate(TypedDict):
    """The child waits for the next command, before running `next` at `location`."""

    type: Literal["gate"]
    iteration: int
    micro_batch: int
    next: PhaseName
    what: str
    location: TraceLocation | None


@with_config(_WIRE)
class ChildLosses(TypedDict):
    """Iteration `first + k` ended with loss `values[k]`: the sum of the 0-dim tensors
    backward() was called on in it; None when there was none (no loss seen)."""

    type: Literal["trace_losses"]
    first: int
    values: list[Float | None]


@with_config(_WIRE)
class ChildPrinted(TypedDict):
    """Output past these byte offsets of the child's stdout and stderr belongs to
    `iteration` (sent before the first write of each iteration that prints)."""

    type: Literal["printed"]
    iteration: int
    stdout: int
    stderr: int


ChildEvent = Annotated[
    ChildPhase
    | GraphEvent
    | ChildStarted
    | ChildModel
    | EvaluationEvent
    | ChildGate
    | ChildLosses
    | NoticeEvent
    | ChildPrinted
    | OutputEvent
    | EndEvent,
    Field(discriminator="type"),
]
CHILD_EVENT_ADAPTER: TypeAdapter[ChildEvent] = TypeAdapter(ChildEvent)
