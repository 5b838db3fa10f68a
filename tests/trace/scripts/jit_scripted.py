"""A model compiled with `torch.jit.script` (the pre-2.0 way to speed a model up) and
trained as usual: the scripted module is called from Python, its layers are not."""

import sys

import torch
import torch.nn as nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 12)
        self.head = nn.Linear(12, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.hidden(x)))


torch.manual_seed(8)
model = torch.jit.script(Regressor())
x = torch.randn(32, 2)
y = (x[:, :1] * x[:, 1:]).tanh()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
loss_fn = nn.MSELoss()
for epoch in range(8):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.5f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
