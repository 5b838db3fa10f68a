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


def nonzero_rows(table: torch.Tensor) -> torch.Tensor:
    """A (rows,) bool mask of the rows of a 2-d tensor holding any nonzero (NaN included):
    the largest |value| of each row is not zero. (Three fast float passes: comparing every
    element with zero and reducing the booleans is ~4× slower in torch.)"""
    return table.detach().abs().amax(dim=1) != 0


def rows_with_grad(grad: torch.Tensor) -> torch.Tensor:
    """The rows of a (num_embeddings, embedding_dim) gradient holding any nonzero, ascending."""
    return nonzero_rows(grad).nonzero().view(-1)


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


@dataclass(frozen=True)
class PositionsTop:
    """Softmax and cross-entropy at each of the first `count` positions, top k of each."""

    targets: torch.Tensor  # (count,) the characters that really came next
    target_probs: torch.Tensor  # (count,) softmax(logits)[target] of each position
    losses: torch.Tensor  # (count,) -log softmax(logits)[target] of each position
    top_ids: torch.Tensor  # (count, k) most probable first
    top_probs: torch.Tensor  # (count, k)


def positions_top(
    logits: torch.Tensor, targets: torch.Tensor, count: int, k: int = 5
) -> PositionsTop:
    """position_loss for rows 0..count-1 of logits (N, vocab_size) at once, keeping only each
    row's k most probable characters: what a learner can pick from, for a few bytes each."""
    n, vocab_size = logits.shape
    count = min(count, n)
    with torch.no_grad():
        rows = logits.detach()[:count]
        wanted = targets[:count].view(-1, 1)
        log_probs = torch.log_softmax(rows, dim=-1)
        probs = torch.softmax(rows, dim=-1)
        top = torch.topk(probs, min(k, vocab_size), dim=-1)
    return PositionsTop(
        targets=wanted.view(-1).clone(),
        target_probs=probs.gather(1, wanted).view(-1),
        losses=-log_probs.gather(1, wanted).view(-1),
        top_ids=top.indices,
        top_probs=top.values,
    )


@dataclass(frozen=True)
class RowMoves:
    """How far the rows of an embedding table moved in one optimizer step, in three kinds."""

    grad_rows: int  # rows with a nonzero gradient this step (the batch used them)
    grad_shift: float  # the largest |Δw| among them
    memory_rows: int  # rows without a gradient now whose optimizer state still holds one
    memory_shift: float
    still_rows: int  # rows the optimizer holds nothing for: only weight decay moves them
    still_shift: float


def row_moves(
    before: torch.Tensor,
    after: torch.Tensor,
    grad: torch.Tensor | None,
    memory: torch.Tensor | None,
) -> RowMoves:
    """Split the rows of a (rows, dim) table by why the step could move them (a nonzero
    gradient; none now but a nonzero running average from earlier batches, e.g. Adam's
    exp_avg or SGD's momentum_buffer; neither) and report the largest move of each kind."""
    with torch.no_grad():
        shift = (after.detach() - before.detach()).abs().amax(dim=1)
        # Each row's kind as one small integer (0 gradient, 1 memory, 2 still): the counts
        # by one bincount and the largest shift of each kind by one scatter (shifts are
        # ≥ 0, so a kind without rows keeps the 0 it starts from).
        kind = torch.full(shift.shape, 2, dtype=torch.int64, device=shift.device)
        if memory is not None:
            kind.masked_fill_(nonzero_rows(memory), 1)
        if grad is not None:
            kind.masked_fill_(nonzero_rows(grad), 0)
        counts = torch.bincount(kind, minlength=3).tolist()
        largest = torch.zeros(3, dtype=shift.dtype, device=shift.device)
        shifts = largest.scatter_reduce_(0, kind, shift, "amax").tolist()
        return RowMoves(
            grad_rows=counts[0],
            grad_shift=shifts[0],
            memory_rows=counts[1],
            memory_shift=shifts[1],
            still_rows=counts[2],
            still_shift=shifts[2],
        )
