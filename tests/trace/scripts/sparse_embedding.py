"""A word2vec-style skip-gram: `nn.Embedding(sparse=True)` trained by SparseAdam (sparse
.grad), next to a dense Adam for the bias: two optimizers stepping in every iteration."""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
vocab, dim = 30, 8
centers = torch.randint(0, vocab, (64,))
contexts = (centers + torch.randint(1, 3, (64,))) % vocab


class SkipGram(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Embedding(vocab, dim, sparse=True)
        self.out = nn.Embedding(vocab, dim, sparse=True)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, center):
        return self.inp(center) @ self.out.weight.t() + self.bias


model = SkipGram()
sparse_opt = torch.optim.SparseAdam([model.inp.weight], lr=0.05)
dense_opt = torch.optim.Adam([model.out.weight, model.bias], lr=0.05)
for epoch in range(3):
    for start in range(0, 64, 16):
        c, o = centers[start : start + 16], contexts[start : start + 16]
        sparse_opt.zero_grad()
        dense_opt.zero_grad()
        loss = F.cross_entropy(model(c), o)
        loss.backward()
        sparse_opt.step()
        dense_opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f} sparse grad: {model.inp.weight.grad.is_sparse}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
