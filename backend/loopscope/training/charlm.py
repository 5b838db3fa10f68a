"""A bigram character language model: the next character from the current one alone.

    logits = lm_head(token_embedding(idx))

The vocabulary is every distinct character of the corpus, sorted. Batches are random
windows of the corpus, `batch_size` of them, `block_size` characters long, drawn with the
run's own seeded generator; the targets are the same windows one character later. Text is
sampled from the model with a generator of its own, so sampling never moves the run's
batch order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn


class BigramLM(nn.Module):
    def __init__(self, vocab_size: int, n_embd: int) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        # idx: (B, T) character ids
        logits: torch.Tensor = self.lm_head(self.token_embedding(idx))  # (B, T, vocab_size)
        # one row per position, as nn.CrossEntropyLoss takes them: (B*T, vocab_size)
        return logits.view(-1, logits.size(-1))


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


def batches_per_epoch(n_tokens: int, batch_size: int, block_size: int) -> int:
    """Iterations that predict about as many characters as the corpus has: an epoch."""
    return math.ceil((n_tokens - 1) / (batch_size * block_size))


def draw_batch(
    ids: torch.Tensor, batch_size: int, block_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of the corpus and their next characters.

    ids (N,) on any device; generator on the CPU. Returns x (B, T): the windows, and
    y (B*T,): the character after each position of each window, flattened like the
    model's logits.
    """
    if ids.numel() <= block_size:
        raise ValueError(f"a corpus of {ids.numel()} characters has no window of {block_size} + 1")
    starts = torch.randint(ids.numel() - block_size, (batch_size,), generator=generator)
    index = (starts.unsqueeze(1) + torch.arange(block_size)).to(ids.device)  # (B, T)
    return ids[index], ids[index + 1].view(-1)


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
