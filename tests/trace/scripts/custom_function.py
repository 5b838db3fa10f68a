"""A custom autograd.Function (a straight-through sign with `ctx.save_for_backward`) inside
a float64 model (`.double()`), and the same loss backward twice: first with
retain_graph=True, then again (the gradients add up)."""

import sys

import torch
import torch.nn as nn


class SignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sign(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x.abs() <= 1).to(grad_output.dtype)


class BinaryNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 10)
        self.fc2 = nn.Linear(10, 1)

    def forward(self, x):
        h = SignSTE.apply(self.fc1(x))
        return self.fc2(h)


torch.manual_seed(5)
model = BinaryNet().double()
x = torch.randn(24, 6, dtype=torch.float64)
y = x[:, :1] - x[:, 1:2]
opt = torch.optim.SGD(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
for i in range(6):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward(retain_graph=True)
    loss.backward()  # the same graph again: every .grad is doubled
    opt.step()
    print(f"{i} {loss.item():.6f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
