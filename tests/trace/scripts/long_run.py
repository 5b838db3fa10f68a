"""A long run: 50 000 tiny iterations (a learner fast-forwards to the end)."""

import sys

import torch

torch.manual_seed(0)
w = torch.nn.Parameter(torch.zeros(2))
x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
y = torch.tensor([1.0, 2.0, 0.5])
optimizer = torch.optim.SGD([w], lr=1e-3)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
for i in range(n):
    optimizer.zero_grad()
    loss = ((x @ w - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    if i % 10_000 == 0:
        print(f"{i}: {loss.item():.6f}")
print(f"w = {w.tolist()}")
if len(sys.argv) > 1:
    torch.save({"w": w.detach()}, sys.argv[1])
