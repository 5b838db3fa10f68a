"""Training in the `torch.func` style: the parameters taken out of the module as a dict,
`torch.func.grad` of a loss written with `functional_call`, and the dict replaced by a new
one each step (no `.backward()`, no optimizer); the weights loaded back at the end."""

import sys

import torch
from torch import nn
from torch.func import functional_call, grad

torch.manual_seed(17)
x = torch.randn(48, 4)
y = (x[:, :1] * 2 - x[:, 1:2]).tanh()
model = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 1))
params = {k: v.detach() for k, v in model.named_parameters()}


def compute_loss(params, xb, yb):
    pred = functional_call(model, params, (xb,))
    return nn.functional.mse_loss(pred, yb)


grad_fn = grad(compute_loss)
lr = 0.2
for step in range(25):
    grads = grad_fn(params, x, y)
    params = {k: params[k] - lr * grads[k] for k in params}
    if step % 8 == 0:
        print(f"step {step}: loss {compute_loss(params, x, y).item():.5f}")
model.load_state_dict(params)
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
