"""What a language model's iteration shows (pure torch; reads, never writes).

- the embedding rows a batch looked up, and the rows of the embedding's `.grad` that are
  not zero: `token_embedding(idx)` only reads the rows of the ids in `idx`, so backward
  only writes those rows; every other row's gradient stays exactly zero;
- softmax and cross-entropy at one position: the probabilities the model gives every
  character next, and -log p(target), the position's share of the loss;
- ln(vocab_size): the loss of a uniform guess, where an untrained model starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def rows_used(idx: torch.Tensor) -> torch.Tensor:
    """The distinct ids in `idx` (any shape), ascending: the embedding rows it looks up."""
    ids: torch.Tensor = torch.unique(idx.detach(), sorted=True)
    return ids


def rows_with_grad(grad: torch.Tensor) -> torch.Tensor:
    """The rows of a (num_embeddings, embedding_dim) gradient holding any nonzero, ascending."""
    return (grad.detach() != 0).any(dim=1).nonzero().view(-1)


@dataclass(frozen=True)
class PositionLoss:
    """Softmax and cross-entropy at one position of the batch."""

    position: int
    target: int  # the character that really came next
    logits: torch.Tensor  # (vocab_size,)
    probs: torch.Tensor  # (vocab_size,) softmax(logits)
    loss: torch.Tensor  # 0-d: -log softmax(logits)[target]
    top_ids: torch.Tensor  # (k,) the k most probable next characters, most probable first
    top_probs: torch.Tensor  # (k,)


def position_loss(
    logits: torch.Tensor, targets: torch.Tensor, position: int, k: int = 5
) -> PositionLoss:
    """Softmax and cross-entropy of row `position` of logits (N, vocab_size) against
    targets (N,), computed as nn.CrossEntropyLoss does: log_softmax, then the target's."""
    n, vocab_size = logits.shape
    if not 0 <= position < n:
        raise ValueError(f"position {position} is outside the batch's {n} positions")
    with torch.no_grad():
        row = logits.detach()[position]
        target = int(targets[position])
        log_probs = torch.log_softmax(row, dim=-1)
        probs = torch.softmax(row, dim=-1)
        top = torch.topk(probs, min(k, vocab_size))
    return PositionLoss(
        position=position,
        target=target,
        logits=row.clone(),
        probs=probs,
        loss=-log_probs[target],
        top_ids=top.indices,
        top_probs=top.values,
    )


def uniform_loss(vocab_size: int) -> float:
    """ln(vocab_size): the cross-entropy of giving every character the same probability."""
    if vocab_size < 1:
        raise ValueError(f"vocab_size must be at least 1, got {vocab_size}")
    return math.log(vocab_size)
