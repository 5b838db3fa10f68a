"""What a language model's run shows besides the loop, as wire dicts computed by torch.

Everything here reads the run and never writes it: the capture helpers work on detached
tensors, and sampling runs under no_grad with a generator of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ..capture.language import position_loss, rows_used, rows_with_grad, uniform_loss
from ..capture.values import tensor_value
from .charlm import TextRun, sample_text

if TYPE_CHECKING:
    from ..protocol import LanguageCapture, LanguageInfo, TextSample

TOP_K = 10  # the most probable next characters listed at the shown position
SHOWN_POSITION = 0  # the first character of the batch's first window


def embedding_weight(model: nn.Module) -> torch.Tensor | None:
    """The weight of the model's first nn.Embedding: the table a batch looks rows up in."""
    for module in model.modules():
        if isinstance(module, nn.Embedding):
            return module.weight
    return None


class TextView:
    """LanguageInfo for the session event, LanguageCapture for each captured phase."""

    def __init__(self, run: TextRun, model: nn.Module, cap: int) -> None:
        self.run = run
        self.model = model
        self.cap = cap
        self.embedding = embedding_weight(model)
        self.sampled_at = 0  # iterations done when the last sample was sent

    def sample(self, done: int) -> TextSample:
        """TextSample: text from the model as it is after `done` iterations."""
        r = self.run
        text = sample_text(self.model, r.vocab, r.sample_length, r.block_size, r.seed)
        return {"iteration": done, "text": text}

    def info(self, done: int) -> LanguageInfo:
        """LanguageInfo: the characters (id = index), ln(vocab_size), a sample of now."""
        r = self.run
        return {
            "corpus": r.corpus,
            "vocab": r.vocab.chars,
            "uniform_loss": uniform_loss(len(r.vocab)),
            "block_size": r.block_size,
            "sample_every": r.sample_every,
            "sample": self.sample(done),
        }

    def capture(
        self,
        phase: str,
        x_batch: torch.Tensor,
        y_pred: torch.Tensor | None,
        y: torch.Tensor,
        done: int,
    ) -> LanguageCapture | None:
        """LanguageCapture of a captured phase (`done`: iterations finished after it)."""
        if phase == "forward":
            return {"rows_used": rows_used(x_batch).tolist()}
        if phase == "loss" and y_pred is not None:
            at = position_loss(y_pred, y, SHOWN_POSITION, TOP_K)
            return {
                "position": {
                    "position": at.position,
                    "target": at.target,
                    "loss": tensor_value(at.loss, self.cap),
                    "probs": tensor_value(at.probs, self.cap),
                    "top_ids": at.top_ids.tolist(),
                    "top_probs": tensor_value(at.top_probs, self.cap),
                }
            }
        if phase == "backward" and self.embedding is not None and self.embedding.grad is not None:
            return {"grad_rows": rows_with_grad(self.embedding.grad).tolist()}
        if phase == "step":
            every = self.run.sample_every
            if done // every == self.sampled_at // every:
                return None  # no multiple of sample_every passed since the last sample
            self.sampled_at = done
            return {"sample": self.sample(done)}
        return None
