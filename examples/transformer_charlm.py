"""A character-level language model with two attention blocks, trained with AdamW.

A plain PyTorch script (nothing in it knows about loopscope): read a text, make a
vocabulary of its characters, and train a tiny decoder-only transformer to predict each
next character from the ones before it. Run it as it is, or watch it train:

    python examples/transformer_charlm.py
    .venv/bin/loopscope trace examples/transformer_charlm.py

The text is the English corpus shipped with loopscope (public-domain poems); pass another
file as the first argument to train on that instead.
"""

import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn import functional as F

torch.manual_seed(0)
block_size = 16  # characters of context
batch_size = 16
n_embd, n_head, n_layer = 32, 4, 2
max_iters, eval_every = 300, 50
learning_rate = 3e-3

here = Path(__file__).resolve().parent
corpus = here.parent / "backend" / "loopscope" / "training" / "corpora" / "english.txt"
text = Path(sys.argv[1] if len(sys.argv) > 1 else corpus).read_text(encoding="utf-8")
chars = sorted(set(text))
vocab_size = len(chars)
stoi = {c: i for i, c in enumerate(chars)}
itos = dict(enumerate(chars))
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)


def get_batch():
    """Random windows of the text: x[t] is a character, y[t] the one after it."""
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i : i + block_size] for i in ix])
    y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])
    return x, y


class SelfAttention(nn.Module):
    """Causal multi-head self-attention, written out: each position attends to itself and
    the positions before it."""

    def __init__(self):
        super().__init__()
        self.query = nn.Linear(n_embd, n_embd, bias=False)
        self.key = nn.Linear(n_embd, n_embd, bias=False)
        self.value = nn.Linear(n_embd, n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd)
        self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size)).bool())

    def forward(self, x):
        B, T, C = x.shape
        hs = C // n_head

        def heads(t):  # (B, T, C) -> (B, n_head, T, hs)
            return t.view(B, T, n_head, hs).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # (B, n_head, T, T)
        att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
        y = F.softmax(att, dim=-1) @ v  # (B, n_head, T, hs)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class Block(nn.Module):
    """Attention, then a small MLP, each on a layer-normed input and added back."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = SelfAttention()
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd)
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class CharTransformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.position_embedding = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.token_embedding(idx) + self.position_embedding(torch.arange(T))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))  # (B, T, vocab_size) logits

    @torch.no_grad()
    def generate(self, idx, new_chars):
        for _ in range(new_chars):
            logits = self(idx[:, -block_size:])[:, -1, :]
            idx = torch.cat([idx, torch.multinomial(F.softmax(logits, dim=-1), 1)], dim=1)
        return idx


model = CharTransformer()
optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
print(f"{vocab_size} characters, {sum(p.numel() for p in model.parameters())} parameters")
print(f"a uniform guess would score ln({vocab_size}) = {math.log(vocab_size):.3f}")

for it in range(max_iters):
    x, y = get_batch()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, vocab_size), y.view(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % eval_every == 0 or it == max_iters - 1:
        print(f"iteration {it}: loss {loss.item():.4f}")

start = torch.tensor([[stoi[text[0]]]])
print("".join(itos[i] for i in model.generate(start, 80)[0].tolist()))
