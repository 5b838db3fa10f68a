"""The charlm scenario: vocabulary, model and batches against plain torch, seeded sampling."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from loopscope.training.charlm import (
    BigramLM,
    Vocabulary,
    Windows,
    corpus_pairs,
    sample_ids,
    sample_text,
)
from loopscope.training.corpora import CORPORA, load_corpus


@pytest.mark.parametrize("name", CORPORA)
def test_corpus_vocabulary_round_trip(name: str) -> None:
    text = load_corpus(name)
    vocab = Vocabulary.of(text)
    assert list(vocab.chars) == sorted(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == torch.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids.tolist()) == text
    assert "\n" in vocab.chars and len(text.splitlines()) >= 200


def test_unknown_corpus_and_character_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown corpus 'latin'"):
        load_corpus("latin")
    with pytest.raises(ValueError, match="'z' is not in the vocabulary"):
        Vocabulary.of("abc").encode("abz")


@pytest.mark.parametrize(
    ("vocab_size", "n_embd", "batch_size", "block_size"), [(8, 5, 2, 4), (1015, 32, 32, 8)]
)
def test_model_matches_a_hand_written_bigram_loop(
    vocab_size: int, n_embd: int, batch_size: int, block_size: int
) -> None:
    """Same seed, same init: logits, loss and every gradient equal plain torch's."""
    g = torch.Generator().manual_seed(1)
    x = torch.randint(vocab_size, (batch_size, block_size), generator=g)
    y = torch.randint(vocab_size, (batch_size * block_size,), generator=g)
    torch.manual_seed(7)
    model = BigramLM(vocab_size, n_embd)
    torch.manual_seed(7)
    table, head = nn.Embedding(vocab_size, n_embd), nn.Linear(n_embd, vocab_size)
    logits = model(x)
    plain = (table.weight[x] @ head.weight.T + head.bias).reshape(-1, vocab_size)
    assert torch.equal(logits, plain)
    loss = F.cross_entropy(logits, y)
    plain_loss = F.cross_entropy(plain, y)
    assert torch.equal(loss, plain_loss)
    loss.backward()
    plain_loss.backward()
    assert table.weight.grad is not None and head.weight.grad is not None
    assert torch.equal(model.token_embedding.weight.grad, table.weight.grad)
    assert torch.equal(model.lm_head.weight.grad, head.weight.grad)
    assert torch.equal(model.lm_head.bias.grad, head.bias.grad)


def test_batches_are_windows_and_their_next_characters() -> None:
    ids = torch.arange(100, 160)  # distinct values: a window's start is its first value
    x, y = corpus_pairs(ids)
    assert torch.equal(x, ids[:-1]) and torch.equal(y, ids[1:])
    x_batch, y_batch = Windows(6, 5).draw(x, y, torch.Generator().manual_seed(1))
    assert x_batch.shape == (6, 5) and y_batch.shape == (30,)
    # Karpathy's get_batch, written out: starts drawn from the same seeded generator.
    starts = torch.randint(60 - 5, (6,), generator=torch.Generator().manual_seed(1))
    for b, start in enumerate(starts.tolist()):
        assert x_batch[b].tolist() == ids[start : start + 5].tolist()
        assert y_batch[b * 5 : (b + 1) * 5].tolist() == ids[start + 1 : start + 6].tolist()


def test_every_window_can_be_drawn_including_the_last() -> None:
    x, y = corpus_pairs(torch.arange(10))
    windows = Windows(500, 4)
    x_batch, _ = windows.draw(x, y, torch.Generator().manual_seed(0))
    assert set(x_batch[:, 0].tolist()) == set(range(9 - 4 + 1))


def test_batches_are_reproducible_from_the_seed_and_leave_the_global_rng_alone() -> None:
    text = load_corpus("english")
    x, y = corpus_pairs(Vocabulary.of(text).encode(text))
    windows = Windows(32, 8)
    before = torch.get_rng_state()
    g = torch.Generator().manual_seed(5)
    first = [windows.draw(x, y, g) for _ in range(3)]
    g = torch.Generator().manual_seed(5)
    again = [windows.draw(x, y, g) for _ in range(3)]
    assert torch.equal(torch.get_rng_state(), before)
    for (x1, y1), (x2, y2) in zip(first, again, strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(first[0][0], first[1][0])  # the generator moves on each draw
    other = windows.draw(x, y, torch.Generator().manual_seed(6))
    assert not torch.equal(other[0], first[0][0])


def test_a_sequence_shorter_than_a_window_is_refused() -> None:
    with pytest.raises(ValueError, match="7 rows has no window of 8"):
        Windows(2, 8).draw(torch.arange(7), torch.arange(7), torch.Generator())


def test_an_epoch_predicts_about_the_whole_corpus() -> None:
    assert Windows(32, 8).per_epoch(4800) == 19  # 4800 targets / 256 per batch
    assert Windows(32, 8).per_epoch(256) == 1
    assert Windows(32, 8).per_epoch(257) == 2


def test_sampling_is_seeded_and_draws_nothing_from_the_global_rng() -> None:
    vocab = Vocabulary.of(load_corpus("poetry_zh"))
    torch.manual_seed(0)
    model = BigramLM(len(vocab), 8)
    before = torch.get_rng_state()
    text = sample_text(model, vocab, 40, 8, seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    assert len(text) == 40 and set(text) <= set(vocab.chars)
    assert sample_text(model, vocab, 40, 8, seed=3) == text
    assert sample_text(model, vocab, 40, 8, seed=4) != text


def test_sampling_follows_the_model_probabilities() -> None:
    """A model sure of one next character for each character gives exactly that chain."""
    model = BigramLM(4, 4)
    with torch.no_grad():
        model.token_embedding.weight.copy_(torch.eye(4))
        model.lm_head.weight.copy_(torch.roll(torch.eye(4), 1, dims=0) * 100)  # i → i + 1
        model.lm_head.bias.zero_()
    assert sample_ids(model, 2, 6, block_size=3, seed=0) == [3, 0, 1, 2, 3, 0]
