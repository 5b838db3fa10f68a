"""A small decoder-only transformer (two attention blocks) and its recorded autograd graph.

Attention is written out with matmuls rather than nn.MultiheadAttention so the graph has
the op-level nodes a learner reads about (q, k, v, the scaled scores, the causal mask,
softmax, the weighted sum), a few hundred of them: the size the grouped graph view is for.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from loopscope.capture.graph import walk_graph
from loopscope.capture.modules import ForwardRecorder
from loopscope.capture.values import ValueCache


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, block: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(dim, dim, bias=False)
        self.key = nn.Linear(dim, dim, bias=False)
        self.value = nn.Linear(dim, dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.register_buffer("mask", torch.tril(torch.ones(block, block)).bool())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        h = self.heads

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, h, c // h).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // h)
        scores = scores.masked_fill(~self.mask[:t, :t], float("-inf"))
        out = F.softmax(scores, dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, block: int) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, block)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyTransformer(nn.Module):
    def __init__(
        self, vocab: int = 16, dim: int = 16, heads: int = 2, block: int = 8, layers: int = 2
    ) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Embedding(block, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, block) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[1]
        x = self.token_embedding(idx) + self.position_embedding(torch.arange(t))
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def build_model(layers: int = 2, seed: int = 0) -> TinyTransformer:
    torch.manual_seed(seed)
    return TinyTransformer(layers=layers)


def transformer_graph(
    layers: int = 2, seed: int = 0, model: TinyTransformer | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The GraphEvent of one training step's loss (as the stepper builds it), and its live
    autograd nodes by id."""
    model = model if model is not None else build_model(layers, seed)
    generator = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 16, (4, 8), generator=generator)
    targets = torch.randint(0, 16, (4, 8), generator=generator)
    recorder = ForwardRecorder(ValueCache(cap=64))
    recorder.start(model, {"x": idx})
    logits = model(idx)
    recorder.stop()
    loss = F.cross_entropy(logits.view(-1, 16), targets.view(-1))
    module_of = dict(recorder.module_of)
    module_of.setdefault(loss.grad_fn, "criterion")
    param_names = {id(p): name for name, p in model.named_parameters()}
    named = {"x": idx, "y": targets, "y_pred": logits}
    walked = walk_graph(loss.grad_fn, param_names, named, module_of)
    ids = {node: node_id for node_id, node in walked.nodes.items()}
    topology = dict(walked.topology)
    topology["tensors"] = {"loss": ids[loss.grad_fn], "y_pred": ids[logits.grad_fn]}
    recorder.detach()
    return topology, dict(walked.nodes)
