"""Bodies of the HTTP API (/api)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import DEFAULT_SCENARIO, ErrorCode, Float, ScenarioName, _Message


class CompareRequest(_Message):
    """POST /api/compare: one scenario, a few config variants, trained headless side by side."""

    scenario: ScenarioName = DEFAULT_SCENARIO
    config: dict[str, Any] = Field(default_factory=dict, max_length=64)
    variants: list[dict[str, Any]] = Field(
        default_factory=lambda: [{"batch_size": b} for b in (None, 1, 10)],
        min_length=1,
        max_length=4,
    )
    epochs: int = Field(30, ge=1, le=500)


class CompareRun(_Message):
    variant: dict[str, Any]
    batch_size: int
    n_batches: int
    losses: list[Float]  # every iteration
    epoch_losses: list[Float]  # mean over each epoch's iterations
    diverged: bool


class CompareResponse(_Message):
    runs: list[CompareRun]


class ApiError(_Message):
    """The body of every 4xx answer of /api."""

    code: ErrorCode
    message: str
    field: str | None = None
