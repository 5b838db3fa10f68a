"""Names every part of the protocol shares: phases, units, errors, the models' rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict

from ..training.scenarios import SCENARIOS

if TYPE_CHECKING:
    ScenarioName = str
else:  # the registry's keys, so that a new scenario needs no edit here
    ScenarioName = Literal[tuple(SCENARIOS)]
DEFAULT_SCENARIO: str = next(iter(SCENARIOS))
PhaseName = Literal["forward", "loss", "zero_grad", "backward", "step"]
# The loop body's calls in the order they run (the one list every other place derives from).
PHASES: tuple[PhaseName, ...] = get_args(PhaseName)
StepUnit = Literal["phase", "iteration", "epoch"]
NonFinite = Literal["NaN", "Infinity", "-Infinity"]
Float = float | NonFinite
ErrorCode = Literal[
    "invalid_json",
    "invalid_message",
    "invalid_config",
    "wrong_state",
    "out_of_range",
    "device_unavailable",
    "rate_limited",
    "too_many_runs",
    "not_found",
    "internal",
    "payload_too_large",
    "busy",
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


# The TypedDicts' pydantic rules: the same as the models'.
_WIRE = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
