"""Commands: what the page sends (client → server), parsed by pydantic."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from .base import DEFAULT_SCENARIO, ScenarioName, StepUnit, _Message
from .tensor import SentCommand, TensorCommand, UpdateCommand


class StartCommand(_Message):
    """Build a scenario and start a new run (replaces the current one)."""

    type: Literal["start"]
    scenario: ScenarioName = DEFAULT_SCENARIO
    config: dict[str, Any] = Field(default_factory=dict, max_length=64)


class StepCommand(_Message):
    """Advance by `count` phases, iterations (batches) or epochs."""

    type: Literal["step"]
    unit: StepUnit = "phase"
    count: int = Field(1, ge=1, le=100_000)


class PlayCommand(_Message):
    """Step by `unit` at `rate` steps per second until paused."""

    type: Literal["play"]
    unit: StepUnit = "phase"
    rate: float = Field(2.0, gt=0, le=10_000)
    # The client confirms each frame it has drawn with `shown`, and play runs no step while
    # one it sent is not drawn yet: what the learner sees is never more than a step behind
    # the run, so a pause stops where they clicked.
    paced: bool = False


class PauseCommand(_Message):
    """Stop playing."""

    type: Literal["pause"]


class ShownCommand(_Message):
    """The client has drawn the frames it received (paced play waits for this)."""

    type: Literal["shown"]


class ResetCommand(_Message):
    """Rebuild the current scenario from its config (same seed: same numbers)."""

    type: Literal["reset"]


class RewindCommand(_Message):
    """Go back to the start of iteration `iteration` (kept in history) and branch from there."""

    type: Literal["rewind"]
    iteration: int = Field(ge=0, le=10**9)


class ResumeCommand(_Message):
    """Take back a run after a dropped connection (within the server's grace period)."""

    type: Literal["resume"]
    token: str = Field(min_length=1, max_length=64)


class SetCommand(_Message):
    """Change hyperparameters between steps; they apply from the next phase on (the fields
    are SETTABLE, and a run accepts those its `capabilities.settable` lists)."""

    type: Literal["set"]
    lr: float | None = Field(None, gt=0, le=10)
    momentum: float | None = Field(None, ge=0, lt=1)
    beta1: float | None = Field(None, ge=0, lt=1)
    beta2: float | None = Field(None, ge=0, lt=1)
    eps: float | None = Field(None, gt=0, le=1)
    weight_decay: float | None = Field(None, ge=0, le=1)
    skip_zero_grad: bool | None = None


Command = Annotated[
    StartCommand
    | StepCommand
    | PlayCommand
    | PauseCommand
    | ResetCommand
    | RewindCommand
    | SetCommand
    | ResumeCommand
    | TensorCommand
    | UpdateCommand
    | SentCommand
    | ShownCommand,
    Field(discriminator="type"),
]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
