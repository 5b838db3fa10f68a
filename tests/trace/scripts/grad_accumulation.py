"""Gradient accumulation: 4 micro-batches per optimizer step; model.zero_grad() after it."""

import sys

import torch
from torch import nn

torch.manual_seed(3)
accumulation_steps = 4
x = torch.randn(80, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3

model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()

for i, (xb, yb) in enumerate(zip(x.split(4), y.split(4), strict=True)):
    loss = loss_fn(model(xb), yb) / accumulation_steps
    loss.backward()
    if (i + 1) % accumulation_steps == 0:
        optimizer.step()
        model.zero_grad()
        print(f"update {(i + 1) // accumulation_steps}: last micro-batch loss {loss.item():.5f}")

if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
