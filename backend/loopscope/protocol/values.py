"""How a tensor travels: its values when small, a summary when large."""

from __future__ import annotations

from typing import NotRequired

from pydantic import with_config
from typing_extensions import TypedDict

from .base import _WIRE, Float


@with_config(_WIRE)
class Histogram(TypedDict):
    edges: list[Float]
    counts: list[int]


@with_config(_WIRE)
class TensorSummary(TypedDict):
    """Statistics of a tensor too large to send in full."""

    numel: int
    min: Float
    max: Float
    mean: Float
    std: Float
    histogram: Histogram
    first: list[Float]


@with_config(_WIRE)
class TensorValue(TypedDict):
    """A tensor: all its values (row-major) when small, else a summary."""

    shape: list[int]
    dtype: str
    values: NotRequired[list[Float] | None]
    summary: NotRequired[TensorSummary | None]
