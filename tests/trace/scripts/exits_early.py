"""Calls sys.exit(3) after two training steps."""

import sys

import torch
from torch import nn

torch.manual_seed(2)
model = nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(8, 2), torch.randn(8, 1)
for step in range(5):
    optimizer.zero_grad()
    nn.functional.l1_loss(model(x), y).backward()
    optimizer.step()
    if step == 1:
        print("leaving early")
        sys.exit(3)
