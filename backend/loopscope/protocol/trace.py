"""Events of a traced script: its output, its end, notices and evaluation calls."""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from .base import _WIRE

EndStatus = Literal["finished", "failed", "stopped"]


@with_config(_WIRE)
class TraceLocation(TypedDict):
    """A line of the traced script (1-based), the innermost frame in the script's folder."""

    file: str  # relative to the script's folder: "train.py", "model.py"
    line: int
    end_line: NotRequired[int | None]
    col: NotRequired[int | None]  # 0-based: tells two calls on one line apart
    end_col: NotRequired[int | None]
    function: str


@with_config(_WIRE)
class TracePhase(TypedDict):
    """What a traced script's phase was: the line that ran it and the call it made."""

    location: TraceLocation | None
    what: str  # "Net", "MSELoss", "cross_entropy", "SGD.zero_grad", "backward"
    micro_batch: int  # backward() calls already made in this iteration
    loss_source: NotRequired[str | None]  # loss: criterion, functional, model, backward
    loss_inside_model: NotRequired[TraceLocation | None]  # forward returned a loss made here
    scaler_skipped: NotRequired[bool]  # GradScaler skipped optimizer.step (inf/NaN grads)


@with_config(_WIRE)
class OutputEvent(TypedDict):
    """A line the traced script wrote to stdout or stderr (newline kept when it had one)."""

    type: Literal["output"]
    stream: Literal["stdout", "stderr"]
    text: str
    iteration: int  # iterations completed when it was printed


@with_config(_WIRE)
class TraceSummary(TypedDict):
    iterations: int
    forwards: int
    evaluation_calls: int
    backwards: int
    steps: int
    zero_grads: int
    optimizers: int


@with_config(_WIRE)
class EndEvent(TypedDict):
    """The traced script's process ended; `reset` runs it again from the top."""

    type: Literal["end"]
    status: EndStatus
    exit_code: int
    traceback: str | None  # the script's frames only, as Python prints it
    message: str
    summary: TraceSummary | None  # None when the process died before it could report


@with_config(_WIRE)
class NoticeEvent(TypedDict):
    """Something about the traced script's loop that could not be decided: said, not guessed."""

    type: Literal["notice"]
    iteration: int
    code: str  # "backward_unknown_root", "optimizer_idle", "no_training_step", ...
    message: str
    location: NotRequired[TraceLocation | None]


@with_config(_WIRE)
class EvaluationEvent(TypedDict):
    """Calls of a module whose output never reached a backward: evaluation or inference."""

    type: Literal["evaluation"]
    iteration: int
    what: str
    calls: int  # since the previous evaluation event
    grad_enabled: bool
    training: bool
    location: TraceLocation | None
    shown_as_forward: bool  # it was shown as a forward phase before its output was known
