"""POST /api/notes: the notes' worked examples done by torch, with the learner's numbers.

The bounds keep every result finite (JSON has no ∞): |values| ≤ 1000, lr ≤ 10.
"""

from __future__ import annotations

from typing import Annotated

from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..training.notes import mse_example, sgd_example, state_dict_example, zero_grad_example

Value = Annotated[float, Field(ge=-1000, le=1000, allow_inf_nan=False)]


class NotesRequest(BaseModel):
    """Starting values for the notes' SGD step and the MSE's predictions and targets."""

    model_config = ConfigDict(extra="forbid")

    w: Value = 1.5
    grad: Value = -0.8
    lr: float = Field(0.01, gt=0, le=10, allow_inf_nan=False)
    pred: list[Value] = Field([2.0, 4.0, 6.0], min_length=1, max_length=8)
    target: list[Value] = Field([1.8, 4.2, 5.5], min_length=1, max_length=8)

    @model_validator(mode="after")
    def _same_length(self) -> NotesRequest:
        if len(self.pred) != len(self.target):
            raise ValueError(
                f"target has {len(self.target)} values and pred {len(self.pred)}: need the same"
            )
        return self


class SgdResult(BaseModel):
    before: float
    grad: float
    lr: float
    after: float  # torch's float32 result, as a float
    by_hand: float


class MseResult(BaseModel):
    pred: list[float]
    target: list[float]
    squares: list[float]
    loss: float
    by_hand: float


class StateDictResult(BaseModel):
    saved_lr: float
    changed_lr: float
    restored_lr: float
    momentum_saved: float
    momentum_restored: float


class ZeroGradResult(BaseModel):
    grad_before: float
    after_none: float | None
    after_zero: float | None


class NotesResponse(BaseModel):
    sgd: SgdResult
    mse: MseResult
    state_dict: StateDictResult
    zero_grad: ZeroGradResult


def run_notes(request: NotesRequest) -> NotesResponse:
    """Every example, on real torch objects."""
    sgd = sgd_example(request.w, request.grad, request.lr)
    mse = mse_example(tuple(request.pred), tuple(request.target))
    state = state_dict_example()
    zero = zero_grad_example(request.grad)
    return NotesResponse(
        sgd=SgdResult(**vars(sgd)),
        mse=MseResult(
            pred=list(mse.pred),
            target=list(mse.target),
            squares=list(mse.squares),
            loss=mse.loss,
            by_hand=mse.by_hand,
        ),
        state_dict=StateDictResult(
            saved_lr=state.saved_lr,
            changed_lr=state.changed_lr,
            restored_lr=state.restored_lr,
            momentum_saved=state.momentum_saved,
            momentum_restored=state.momentum_restored,
        ),
        zero_grad=ZeroGradResult(**vars(zero)),
    )


async def notes(request: NotesRequest) -> NotesResponse:
    """The notes' SGD and MSE examples, state_dict() round trip and zero_grad(), by torch."""
    return await run_in_threadpool(run_notes, request)
