"""Validated configs of the scenarios: every field bounded, defaulted and described.

Bounds are checked before anything is allocated, so no config can ask for a
billion hidden units or a million data points.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .corpora import CorpusName

OptimizerName = Literal["sgd", "momentum", "adam", "adamw"]
ActivationName = Literal["tanh", "relu", "sigmoid"]

MAX_POINTS = 2000
MAX_HIDDEN_UNITS = 64
MAX_HIDDEN_LAYERS = 4
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:[0-9]{1,2})?)$")

HiddenWidth = Annotated[int, Field(ge=1, le=MAX_HIDDEN_UNITS)]


class RunConfig(BaseModel):
    """Fields every scenario shares: optimizer, batching, device, teaching switches."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, validate_assignment=True, strict=True
    )

    seed: int = Field(
        42, ge=0, le=2**31 - 1, description="torch.manual_seed before data and model."
    )
    lr: float = Field(0.01, gt=0, le=10, description="Learning rate.")
    optimizer: OptimizerName = Field(
        "sgd",
        description="sgd = plain SGD; momentum = SGD with momentum; adam; adamw.",
    )
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum (optimizer 'momentum').")
    beta1: float = Field(0.9, ge=0, lt=1, description="Adam/AdamW beta1.")
    beta2: float = Field(0.999, ge=0, lt=1, description="Adam/AdamW beta2.")
    eps: float = Field(1e-8, gt=0, le=1, description="Adam/AdamW eps.")
    weight_decay: float | None = Field(
        None, ge=0, le=1, description="Weight decay; null = torch's default for the optimizer."
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        le=MAX_POINTS,
        description="null = full batch (gradient descent); 1 = stochastic; k = mini-batch.",
    )
    device: str = Field(
        "auto",
        description="auto = cuda if available, else mps, else cpu; or cpu, cuda, cuda:N, mps.",
    )
    skip_zero_grad: bool = Field(
        False, description="Skip optimizer.zero_grad(): gradients accumulate across iterations."
    )
    frozen: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list,
        max_length=16,
        description="Parameter names set to requires_grad=False (e.g. 'linear.bias').",
    )

    @field_validator("device")
    @classmethod
    def _device_form(cls, value: str) -> str:
        if not _DEVICE.match(value):
            raise ValueError("expected auto, cpu, mps, cuda or cuda:N")
        return value


class DataConfig(RunConfig):
    """A scenario on generated points: how many, and how noisy."""

    n_points: int = Field(100, ge=2, le=MAX_POINTS, description="Number of data points.")
    noise: float = Field(0.1, ge=0, le=10, description="Standard deviation of the data noise.")

    @model_validator(mode="after")
    def _batch_fits(self) -> DataConfig:
        if self.batch_size is not None and self.batch_size > self.n_points:
            message = f"batch_size {self.batch_size} exceeds n_points {self.n_points}"
            error = InitErrorDetails(
                type=PydanticCustomError("batch_too_large", message + " (use null for full batch)"),
                loc=("batch_size",),  # name the field, not the whole config
                input=self.batch_size,
            )
            raise ValidationError.from_exception_data(type(self).__name__, [error])
        return self


class LinearConfig(DataConfig):
    """The notes' SimpleNet: y = 2x + 1 + noise, one nn.Linear(1, 1)."""

    loss: Literal["mse", "l1"] = Field("mse", description="MSELoss or L1Loss.")


class MlpConfig(DataConfig):
    """A small MLP fitting a noisy sine."""

    optimizer: OptimizerName = Field("adam", description="sgd, momentum, adam or adamw.")
    n_points: int = Field(128, ge=2, le=MAX_POINTS, description="Number of data points.")
    hidden: list[HiddenWidth] = Field(
        default_factory=lambda: [16, 16],
        min_length=1,
        max_length=MAX_HIDDEN_LAYERS,
        description="Hidden layer widths.",
    )
    activation: ActivationName = Field("tanh", description="Activation between layers.")
    loss: Literal["mse", "l1"] = Field("mse", description="MSELoss or L1Loss.")


class ClassifyConfig(DataConfig):
    """An MLP separating two classes in the plane with CrossEntropyLoss."""

    optimizer: OptimizerName = Field("adam", description="sgd, momentum, adam or adamw.")
    n_points: int = Field(200, ge=2, le=MAX_POINTS, description="Number of data points.")
    dataset: Literal["moons", "spiral"] = Field("moons", description="Two moons or a spiral.")
    hidden: list[HiddenWidth] = Field(
        default_factory=lambda: [16, 16],
        min_length=1,
        max_length=MAX_HIDDEN_LAYERS,
        description="Hidden layer widths.",
    )
    activation: ActivationName = Field("relu", description="Activation between layers.")
    noise: float = Field(0.1, ge=0, le=2, description="Standard deviation of the point jitter.")


# Hyperparameters a `set` command may change between steps (they live in param_groups,
# skip_zero_grad in the stepper); SetCommand has exactly these fields.
SettableName = Literal["lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "skip_zero_grad"]
SETTABLE: tuple[SettableName, ...] = get_args(SettableName)


MAX_N_EMBD = 128
MAX_BLOCK_SIZE = 64
MAX_LM_BATCH = 512
MAX_SAMPLE_LENGTH = 400


class CharLMConfig(RunConfig):
    """A bigram character model, `lm_head(token_embedding(idx))`, learning a shipped corpus.

    The data are the corpus itself (no point count, no noise); `batch_size` counts windows
    of `block_size` characters."""

    optimizer: OptimizerName = Field("adamw", description="sgd, momentum, adam or adamw.")
    corpus: CorpusName = Field(
        "poetry_zh",
        description="poetry_zh = classical Chinese poems; english = sonnets, speeches, fables.",
    )
    n_embd: int = Field(
        32, ge=1, le=MAX_N_EMBD, description="Embedding size: nn.Embedding(vocab, n_embd)."
    )
    block_size: int = Field(
        8, ge=1, le=MAX_BLOCK_SIZE, description="Characters in each window of the batch."
    )
    batch_size: int = Field(  # never null: a batch is always windows
        32, ge=1, le=MAX_LM_BATCH, description="Windows per batch, drawn at random each iteration."
    )
    sample_every: int = Field(
        100, ge=1, le=100_000, description="Sample text from the model every N iterations."
    )
    sample_length: int = Field(
        80, ge=1, le=MAX_SAMPLE_LENGTH, description="Characters in each sample."
    )
