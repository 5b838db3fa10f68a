"""Events about the connection (errors, play state) and the union of all events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from .base import ErrorCode, StepUnit, _Message
from .graph import GraphEvent
from .phase import LossesEvent, PhaseEvent
from .session import SessionEvent
from .tensor import SentEvent, TensorEvent, UpdateEvent
from .trace import EndEvent, EvaluationEvent, NoticeEvent, OutputEvent


class ErrorEvent(_Message):
    """A command was refused; nothing about the run changed."""

    type: Literal["error"]
    code: ErrorCode
    message: str
    field: str | None = None  # dotted path of the offending field, e.g. "config.lr"


class PlayStateEvent(_Message):
    """Whether the server is playing this run now, sent whenever play starts or stops for
    any reason; the page shows play only when the server says so."""

    type: Literal["play_state"]
    playing: bool
    unit: StepUnit | None  # what each tick steps by, while playing
    rate: float | None  # ticks per second, while playing
    # why it changed: started; paused (a command stopped it); refused (a play command was
    # refused); ended (the run can go no further); error (a step failed)
    reason: Literal["started", "paused", "refused", "ended", "error"]


class ProgressEvent(_Message):
    """A long step's progress, sent between its slices: iterations `done` of `total`, the
    step started at iteration `first`. Its `phase` event follows when it ends (a pause or
    reset cuts it short)."""

    type: Literal["progress"]
    first: int
    done: int
    total: int


Event = Annotated[
    SessionEvent
    | GraphEvent
    | PhaseEvent
    | LossesEvent
    | ErrorEvent
    | PlayStateEvent
    | ProgressEvent
    | OutputEvent
    | EndEvent
    | NoticeEvent
    | EvaluationEvent
    | TensorEvent
    | UpdateEvent
    | SentEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
