"""A model called as model.forward(x) instead of model(x): no module hook sees the call."""

import sys

import torch
import torch.nn as nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 6)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


torch.manual_seed(5)
x = torch.randn(24, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
model = TwoLayer()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for i in range(8):
    optimizer.zero_grad()
    pred = model.forward(x)
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    print(f"{i} {loss.item():.5f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
