"""Language-model capture: embedding rows and sparse grads, softmax/CE at one position."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from loopscope.capture.language import (
    nonzero_rows,
    position_loss,
    positions_top,
    row_moves,
    rows_used,
    rows_with_grad,
    uniform_loss,
)
from loopscope.training.charlm import BigramLM, Vocabulary, Windows, corpus_pairs
from loopscope.training.corpora import load_corpus


def _batch_and_grads(
    corpus: str, batch_size: int, block_size: int, seed: int = 0
) -> tuple[BigramLM, torch.Tensor, torch.Tensor, torch.Tensor]:
    vocab = Vocabulary.of(load_corpus(corpus))
    ids = vocab.encode(load_corpus(corpus))
    torch.manual_seed(seed)
    model = BigramLM(len(vocab), 16)
    windows = Windows(batch_size, block_size)
    x, y = windows.draw(*corpus_pairs(ids), torch.Generator().manual_seed(seed))
    logits = model(x)
    F.cross_entropy(logits, y).backward()
    return model, x, y, logits.detach()


@pytest.mark.parametrize(
    ("corpus", "batch_size", "block_size"), [("poetry_zh", 4, 8), ("english", 32, 8)]
)
def test_only_the_rows_a_batch_used_get_a_nonzero_grad(
    corpus: str, batch_size: int, block_size: int
) -> None:
    model, x, _, _ = _batch_and_grads(corpus, batch_size, block_size)
    used = sorted(set(x.view(-1).tolist()))
    assert rows_used(x).tolist() == used
    grad = model.token_embedding.weight.grad
    assert grad is not None
    assert torch.equal(rows_with_grad(grad), rows_used(x))
    unused = torch.ones(grad.shape[0], dtype=torch.bool)
    unused[used] = False
    assert unused.any() and torch.count_nonzero(grad[unused]) == 0
    # The output layer is dense: every character's logit gets a gradient.
    head = model.lm_head.weight.grad
    assert head is not None and rows_with_grad(head).numel() == head.shape[0]


def test_rows_with_grad_on_a_hand_made_gradient() -> None:
    grad = torch.zeros(6, 3)
    grad[1, 2] = -0.5
    grad[4] = 1.0
    assert rows_with_grad(grad).tolist() == [1, 4]
    assert rows_with_grad(torch.zeros(6, 3)).tolist() == []


@pytest.mark.parametrize("position", [0, 7, 255])
def test_position_loss_is_torch_softmax_and_cross_entropy(position: int) -> None:
    _, _, y, logits = _batch_and_grads("english", 32, 8, seed=3)
    captured = position_loss(logits, y, position)
    assert captured.target == int(y[position])
    assert torch.equal(captured.logits, logits[position])
    assert torch.equal(captured.probs, F.softmax(logits, dim=-1)[position])
    per_position = F.cross_entropy(logits, y, reduction="none")
    assert torch.equal(captured.loss, per_position[position])
    order = torch.argsort(captured.probs, descending=True, stable=True)
    assert torch.equal(captured.top_probs, captured.probs[order[:5]])
    assert captured.top_probs[0] == captured.probs.max()


def test_the_batch_loss_is_the_mean_of_the_position_losses() -> None:
    _, _, y, logits = _batch_and_grads("poetry_zh", 8, 4, seed=1)
    losses = torch.stack([position_loss(logits, y, i).loss for i in range(len(y))])
    assert torch.allclose(losses.mean(), F.cross_entropy(logits, y))


def test_position_outside_the_batch_is_refused() -> None:
    logits, targets = torch.zeros(4, 3), torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="position 4"):
        position_loss(logits, targets, 4)
    with pytest.raises(ValueError, match="position -1"):
        position_loss(logits, targets, -1)


@pytest.mark.parametrize("vocab_size", [1, 2, 65, 1015])
def test_uniform_loss_is_the_cross_entropy_of_equal_logits(vocab_size: int) -> None:
    equal = torch.zeros(1, vocab_size)
    torch_loss = F.cross_entropy(equal, torch.tensor([vocab_size - 1]))
    assert math.isclose(uniform_loss(vocab_size), float(torch_loss), rel_tol=1e-6, abs_tol=1e-7)


def test_uniform_loss_needs_a_vocabulary() -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        uniform_loss(0)


def test_positions_top_is_position_loss_for_each_row() -> None:
    _, _, y, logits = _batch_and_grads("english", 8, 8, seed=5)
    top = positions_top(logits, y, 20, k=4)
    assert top.top_ids.shape == (20, 4) and top.targets.tolist() == y[:20].tolist()
    for position in (0, 9, 19):
        one = position_loss(logits, y, position, k=4)
        assert torch.equal(top.top_probs[position], one.top_probs)
        assert torch.equal(top.top_ids[position], one.top_ids)
        assert torch.equal(top.losses[position], one.loss)
        assert torch.equal(top.target_probs[position], one.probs[one.target])
    assert positions_top(logits, y, 10_000).targets.numel() == len(y)


def test_under_adamw_unused_rows_move_by_decay_and_remembered_rows_by_exp_avg() -> None:
    """What AdamW really does to the rows a batch did not use, checked step by step."""
    torch.manual_seed(0)
    emb = torch.nn.Embedding(6, 3)
    opt = torch.optim.AdamW(emb.parameters(), lr=0.1, weight_decay=0.01)
    for ids in ([0, 1], [2], [2]):  # rows 0 and 1 once, then only row 2
        opt.zero_grad()
        emb(torch.tensor(ids)).pow(2).sum().backward()
        before = emb.weight.detach().clone()
        opt.step()
        moves = row_moves(before, emb.weight, emb.weight.grad, opt.state[emb.weight]["exp_avg"])
    # Last step: row 2 had a gradient; rows 0 and 1 none, but exp_avg from the first step.
    assert (moves.grad_rows, moves.memory_rows, moves.still_rows) == (1, 2, 3)
    assert moves.memory_shift > 0.01  # Adam's normalized step, not a decay-sized nudge
    # Rows 3..5 never had a gradient: exactly w·(1 − lr·λ), decoupled decay and nothing else.
    assert torch.equal(emb.weight[3:], before[3:] * (1 - 0.1 * 0.01))
    expected = float((before[3:] - before[3:] * (1 - 0.1 * 0.01)).abs().max())
    assert moves.still_shift == pytest.approx(expected, rel=1e-5)


def test_row_moves_without_optimizer_memory_or_grad() -> None:
    before = torch.zeros(3, 2)
    after = torch.tensor([[0.0, 0.5], [0.0, 0.0], [0.25, 0.0]])
    moves = row_moves(before, after, None, None)
    assert (moves.grad_rows, moves.memory_rows, moves.still_rows) == (0, 0, 3)
    assert moves.still_shift == 0.5 and moves.grad_shift == 0.0


def test_row_moves_match_the_rows_picked_one_mask_at_a_time() -> None:
    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        rows = int(torch.randint(1, 40, (1,), generator=g))
        before = torch.randn(rows, 5, generator=g)
        after = before + torch.randn(rows, 5, generator=g) * 0.1
        grad = torch.randn(rows, 5, generator=g) * (torch.rand(rows, 1, generator=g) < 0.3)
        memory = torch.randn(rows, 5, generator=g) * (torch.rand(rows, 1, generator=g) < 0.5)
        moves = row_moves(before, after, grad, memory)
        shift = (after - before).abs().amax(dim=1)
        has_grad = (grad != 0).any(dim=1)
        remembered = (memory != 0).any(dim=1) & ~has_grad
        still = ~has_grad & ~remembered
        for mask, count, largest in (
            (has_grad, moves.grad_rows, moves.grad_shift),
            (remembered, moves.memory_rows, moves.memory_shift),
            (still, moves.still_rows, moves.still_shift),
        ):
            assert count == int(mask.sum())
            assert largest == (float(shift[mask].max()) if bool(mask.any()) else 0.0)


def test_nonzero_rows_are_the_rows_with_any_element_not_equal_to_zero() -> None:
    table = torch.tensor(
        [
            [0.0, 0.0, 0.0],
            [-0.0, 0.0, -0.0],  # negative zeros are zeros
            [0.0, 1e-45, 0.0],  # the smallest subnormal is not
            [math.nan, 0.0, 0.0],
            [0.0, -math.inf, 0.0],
            [-3.0, 2.0, 0.0],
        ]
    )
    expected = (table != 0).any(dim=1)
    assert torch.equal(nonzero_rows(table), expected)
    assert rows_with_grad(table).tolist() == expected.nonzero().view(-1).tolist() == [2, 3, 4, 5]
