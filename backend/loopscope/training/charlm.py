"""A bigram character language model: the next character from the current one alone.

    logits = lm_head(token_embedding(idx))     # idx: the batch's characters, (B*T,)

The vocabulary is every distinct character of the corpus, sorted. Batches are random
windows of the corpus, `batch_size` of them, `block_size` characters long, drawn with the
run's own seeded generator; the targets are the same windows one character later. Text is
sampled from the model with a generator of its own, so sampling never moves the run's
batch order.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import nn

from .corpora import load_corpus


class BigramLM(nn.Module):
    def __init__(self, vocab_size: int, n_embd: int) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        # idx: (B, T) character ids. A bigram reads one character at a time, so the B*T
        # positions are B*T independent rows: logits (B*T, vocab_size), one row per position.
        logits: torch.Tensor = self.lm_head(self.token_embedding(idx.view(-1)))
        return logits


@dataclass(frozen=True)
class Vocabulary:
    """The characters of a corpus, sorted: a character's id is its place in `chars`."""

    chars: str

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        """Every distinct character of `text`, in code point order."""
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """The ids of `text`'s characters: (len(text),) int64."""
        index = {char: i for i, char in enumerate(self.chars)}
        try:
            return torch.tensor([index[char] for char in text], dtype=torch.int64)
        except KeyError as exc:
            raise ValueError(f"character {exc.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: list[int]) -> str:
        """The characters with these ids."""
        return "".join(self.chars[i] for i in ids)


def corpus_pairs(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The bigram data set: x, every character but the last, and y, the one after each
    (both (N - 1,)); a window of x's rows has its targets at the same rows of y."""
    return ids[:-1], ids[1:]


@functools.cache
def corpus_vocabulary(name: str) -> Vocabulary:
    """The vocabulary of a shipped corpus (built once per process)."""
    return Vocabulary.of(load_corpus(name))


def corpus_data(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """x, y of a shipped corpus: see corpus_pairs."""
    text = load_corpus(name)
    return corpus_pairs(corpus_vocabulary(name).encode(text))


@dataclass(frozen=True)
class Windows:
    """Batches of `batch_size` random windows, `block_size` rows long, of a sequence (x, y)."""

    batch_size: int
    block_size: int

    def per_epoch(self, n: int) -> int:
        """Iterations that predict about as many rows as the sequence has: an epoch."""
        return math.ceil(n / (self.batch_size * self.block_size))

    def draw(
        self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x_batch (B, T): random windows of x; y_batch (B*T,): y at the same rows, flattened
        like the model's logits. x, y (N,) on any device; the generator is on the CPU."""
        n, size = x.shape[0], self.block_size
        if n < size:
            raise ValueError(f"a sequence of {n} rows has no window of {size}")
        starts = torch.randint(n - size + 1, (self.batch_size,), generator=generator)
        index = (starts.unsqueeze(1) + torch.arange(size)).to(x.device)  # (B, T)
        return x[index], y[index].view(-1)


def sample_ids(model: nn.Module, start: int, length: int, block_size: int, seed: int) -> list[int]:
    """`length` ids drawn one after another from the model's next-character probabilities,
    after `start`, by a generator seeded with `seed` (the same draws every time: the text
    changes only as the model does). The model sees at most `block_size` ids of context."""
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    context = [start]
    with torch.no_grad():
        for _ in range(length):
            idx = torch.tensor([context[-block_size:]], device=device)
            logits = model(idx)[-1]  # the last position's row
            probs = torch.softmax(logits, dim=-1).cpu()  # a CPU generator draws on the CPU
            context.append(int(torch.multinomial(probs, 1, generator=generator)))
    return context[1:]


def sample_text(
    model: nn.Module, vocab: Vocabulary, length: int, block_size: int, seed: int
) -> str:
    """Text sampled from the model, starting after a newline (the start of a line)."""
    start = vocab.chars.find("\n")
    ids = sample_ids(model, max(start, 0), length, block_size, seed)
    return vocab.decode(ids)


@dataclass(frozen=True)
class TextRun:
    """A language run's text settings: its corpus, vocabulary, context and sampling."""

    corpus: str
    vocab: Vocabulary
    block_size: int
    sample_every: int
    sample_length: int
    seed: int
