"""Models of ~1 M parameters run through the charlm record (the built-in configs stop at
260 k): the benchmark's and the frame budget tests' subjects."""

from __future__ import annotations

import dataclasses

import torch

from loopscope.training.charlm import BigramLM, corpus_vocabulary
from loopscope.training.scenarios import SCENARIOS, Scenario

try:
    from ._tiny_transformer import TinyTransformer
except ImportError:  # a top-level module: benchmarks/engine.py puts tests/backend on sys.path
    from _tiny_transformer import TinyTransformer  # type: ignore[import-not-found,no-redef]


class FlatLM(TinyTransformer):
    """The tiny transformer with its logits flattened as charlm's loss expects."""

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = super().forward(idx)
        return logits.view(-1, logits.shape[-1])


def one_million(kind: str) -> Scenario:
    """The charlm record with its model swapped for one of ~1 M parameters: "bigram",
    charlm's own model at n_embd 512 (three tensors), or "transformer", _tiny_transformer.py's
    two attention blocks at width 168 (28 tensors, 157 graph nodes)."""
    if kind == "bigram":
        return dataclasses.replace(
            SCENARIOS["charlm"],
            build_model=lambda c: BigramLM(len(corpus_vocabulary(c.corpus)), 512),
        )
    return dataclasses.replace(
        SCENARIOS["charlm"],
        model_cls=FlatLM,
        build_model=lambda c: FlatLM(
            vocab=len(corpus_vocabulary(c.corpus)), dim=168, heads=4, block=c.block_size
        ),
    )
