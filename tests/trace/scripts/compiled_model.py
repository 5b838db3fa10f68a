"""A model wrapped by `torch.compile` (the eager backend here, which compiles in a second:
what the tracer sees is the same OptimizedModule with any backend)."""

import sys

import torch
import torch.nn as nn

torch.manual_seed(19)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))

    def forward(self, x):
        return self.layers(x)


model = Net()
compiled = torch.compile(model, backend="eager")
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 2), torch.randn(16, 1)
for i in range(5):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(compiled(x), y)
    loss.backward()
    optimizer.step()
    print(i, round(loss.item(), 6))
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
