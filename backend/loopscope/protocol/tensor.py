"""One full tensor on demand: the `tensor` command and the `tensor` event that answers it.

Phase events carry a tensor above the cap as a summary; the page may ask for one of them in
full (bounded: at most MAX_TENSOR_ELEMENTS values) when the learner opens it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from .base import _WIRE, PhaseName, _Message
from .phase import ParamUpdate
from .session import OptimizerStateKey
from .values import TensorValue

# The most values one `tensor` event carries (512 KiB of float32; its JSON is a few MB at
# most): every parameter of the built-in scenarios fits, a larger one is refused.
MAX_TENSOR_ELEMENTS = 131_072

TensorKind = Literal["value", "grad", "state"]


class TensorCommand(_Message):
    """Send one tensor of the run in full, as it is now: a parameter's value, its .grad, or
    one entry of its optimizer state (`key`, with kind "state")."""

    type: Literal["tensor"]
    name: str = Field(min_length=1, max_length=256)  # a parameter, as session.parameters
    kind: TensorKind = "value"
    key: OptimizerStateKey | None = None


@with_config(_WIRE)
class TensorEvent(TypedDict):
    """The answer to a `tensor` command: the tensor as the run holds it when the command ran,
    which may be later than the frame the page shows (the run moved on while playing):
    `iteration` and `next_phase` say where the run stood."""

    type: Literal["tensor"]
    name: str
    kind: TensorKind
    key: OptimizerStateKey | None
    iteration: int  # the iteration in progress (or about to start)
    next_phase: PhaseName  # the phase that runs next: the tensor is as it is before it
    value: TensorValue | None  # every value (no summary); None: no .grad or no such state yet


class UpdateCommand(_Message):
    """Send the update detail of one parameter of the latest captured step: a parameter its
    step frame listed in `brief` (a frame within its byte budget sends a few in full)."""

    type: Literal["update"]
    name: str = Field(min_length=1, max_length=256)  # a parameter, as session.parameters


@with_config(_WIRE)
class UpdateEvent(TypedDict):
    """The answer to an `update` command: that parameter's ParamUpdate of the step of
    `iteration`, replayed on copies of what step() read, as the step frame would have sent it."""

    type: Literal["update"]
    name: str
    iteration: int  # the iteration whose step it is
    update: ParamUpdate


class SentCommand(_Message):
    """Send the gradients one autograd node sent in the latest captured backward: a node its
    backward frame listed in `capture.left_out` (a frame within its byte budget)."""

    type: Literal["sent"]
    node: str = Field(min_length=1, max_length=256)  # a node id, as the graph event's


@with_config(_WIRE)
class SentEvent(TypedDict):
    """The answer to a `sent` command: what `node` sent along each of its next_functions
    slots in the backward of `iteration`, exactly as that backward frame would have carried
    it (kept from the frame, not computed again)."""

    type: Literal["sent"]
    node: str
    iteration: int  # the iteration whose backward it is
    graph_id: str  # the graph that backward ran on
    sent: list[TensorValue | None]
