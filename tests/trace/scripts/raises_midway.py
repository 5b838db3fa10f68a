"""Raises in the middle of training, from a helper function."""

import torch
from torch import nn

torch.manual_seed(1)
model = nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(8, 2), torch.randn(8, 1)


def check(step, loss):
    if step == 3:
        raise ValueError(f"boom at step {step} (loss {loss.item():.3f})")


for step in range(10):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step} done")
    check(step, loss)
