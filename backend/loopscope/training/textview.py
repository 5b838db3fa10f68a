"""What a language model's run shows besides the loop, as wire dicts computed by torch.

Everything here reads the run and never writes it: the capture helpers work on detached
tensors, and sampling runs under no_grad with a generator of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ..capture.language import (
    position_loss,
    positions_top,
    row_moves,
    rows_used,
    rows_with_grad,
    uniform_loss,
)
from ..capture.values import tensor_value
from .charlm import TextRun, sample_text

if TYPE_CHECKING:
    from ..protocol import EmbeddingMoves, LanguageCapture, LanguageInfo, TextSample

TOP_K = 10  # the most probable next characters listed at the shown position
SHOWN_POSITION = 0  # the first character of the batch's first window
SHOWN_ROWS = 4  # windows the page shows as characters: their positions can be picked
CHOICE_K = 5  # the most probable next characters sent for each position that can be picked
# Optimizer state that remembers earlier gradients, row by row (Adam's, SGD momentum's).
MEMORY_KEYS = ("exp_avg", "momentum_buffer")


def embedding_weight(model: nn.Module) -> torch.Tensor | None:
    """The weight of the model's first nn.Embedding: the table a batch looks rows up in."""
    for module in model.modules():
        if isinstance(module, nn.Embedding):
            return module.weight
    return None


class TextView:
    """LanguageInfo for the session event, LanguageCapture for each captured phase."""

    def __init__(
        self, run: TextRun, model: nn.Module, cap: int, optimizer: torch.optim.Optimizer
    ) -> None:
        self.run = run
        self.model = model
        self.cap = cap
        self.optimizer = optimizer
        self.embedding = embedding_weight(model)
        self.embedding_name = next(
            (n for n, p in model.named_parameters() if p is self.embedding), None
        )
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
        before: dict[str, torch.Tensor] | None = None,
    ) -> LanguageCapture | None:
        """LanguageCapture of a captured phase (`done`: iterations finished after it;
        `before`: a captured step's parameters before it, by name)."""
        if phase == "forward":
            return {"rows_used": rows_used(x_batch).tolist()}
        if phase == "loss" and y_pred is not None:
            at = position_loss(y_pred, y, SHOWN_POSITION, TOP_K)
            shown = min(SHOWN_ROWS, x_batch.shape[0]) * x_batch[0].numel()
            top = positions_top(y_pred, y, shown, CHOICE_K)
            return {
                "position": {
                    "position": at.position,
                    "target": at.target,
                    "loss": tensor_value(at.loss, self.cap),
                    "probs": tensor_value(at.probs, self.cap),
                    "top_ids": at.top_ids.tolist(),
                    "top_probs": tensor_value(at.top_probs, self.cap),
                },
                "positions": {
                    "count": int(top.targets.numel()),
                    "targets": top.targets.tolist(),
                    "target_probs": tensor_value(top.target_probs, self.cap),
                    "losses": tensor_value(top.losses, self.cap),
                    "top_ids": top.top_ids.tolist(),
                    "top_probs": tensor_value(top.top_probs, self.cap),
                },
            }
        if phase == "backward" and self.embedding is not None and self.embedding.grad is not None:
            return {"grad_rows": rows_with_grad(self.embedding.grad).tolist()}
        if phase == "step":
            out: LanguageCapture = {}
            moves = self._moves(before)
            if moves is not None:
                out["moves"] = moves
            every = self.run.sample_every
            if done // every != self.sampled_at // every:  # a multiple of sample_every passed
                self.sampled_at = done
                out["sample"] = self.sample(done)
            return out or None
        return None

    def _moves(self, params_before: dict[str, torch.Tensor] | None) -> EmbeddingMoves | None:
        """How far the step moved the table's rows, from the copy the step's capture kept."""
        emb, name = self.embedding, self.embedding_name
        before = None if params_before is None or name is None else params_before.get(name)
        if emb is None or before is None:
            return None
        state = self.optimizer.state.get(emb, {})
        memory = next((state[k] for k in MEMORY_KEYS if k in state), None)
        m = row_moves(before, emb, emb.grad, memory)
        return {
            "grad_rows": m.grad_rows,
            "grad_shift": m.grad_shift,
            "memory_rows": m.memory_rows,
            "memory_shift": m.memory_shift,
            "still_rows": m.still_rows,
            "still_shift": m.still_shift,
        }
