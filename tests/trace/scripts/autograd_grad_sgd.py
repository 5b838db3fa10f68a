"""Plain SGD written with `torch.autograd.grad(loss, params)` instead of `backward()`: the
gradients come back as a tuple, `.grad` is never filled, and the update is
`p.sub_(lr * g)` under `torch.no_grad()`; the model is an `nn.Module`."""

import sys

import torch
from torch import nn

torch.manual_seed(8)
x = torch.randn(64, 3)
y = x @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3

model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
loss_fn = nn.MSELoss()
lr = 0.1
params = list(model.parameters())
for epoch in range(30):
    pred = model(x)
    loss = loss_fn(pred, y)
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            p.sub_(lr * g)
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.5f}")
print("grad filled:", any(p.grad is not None for p in params))
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
