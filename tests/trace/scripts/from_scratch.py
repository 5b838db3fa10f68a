"""Logistic regression from scratch: raw tensors, a hand-written loss, no nn.Module and no
optimizer; the update and the zeroing of .grad are the script's own code."""

import sys

import torch

torch.manual_seed(4)
x = torch.randn(32, 2)
y = (x[:, :1] > x[:, 1:]).float()
weights = torch.zeros(2, 1, requires_grad=True)
bias = torch.zeros(1, requires_grad=True)
lr = 0.5


def model(xb):
    return torch.sigmoid(xb @ weights + bias)


def loss_func(pred, target):
    return -(target * torch.log(pred) + (1 - target) * torch.log(1 - pred)).mean()


for epoch in range(4):
    loss = loss_func(model(x), y)
    loss.backward()
    with torch.no_grad():
        weights -= weights.grad * lr
        bias -= bias.grad * lr
        weights.grad.zero_()
        bias.grad.zero_()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
if len(sys.argv) > 1:
    torch.save({"weights": weights.detach(), "bias": bias.detach()}, sys.argv[1])
