"""A MAML-style meta-learning loop: for each task an inner step with
`torch.autograd.grad(..., create_graph=True)` gives adapted weights, the query loss is
computed through them with `torch.func.functional_call`, the tasks' losses are summed and
`meta_loss.backward()` + `meta_optimizer.step()` update the shared model."""

import math
import sys

import torch
from torch import nn
from torch.func import functional_call

torch.manual_seed(14)
model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
meta_optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()
inner_lr, tasks_per_batch = 0.05, 3


def sample_task():
    amplitude, phase = 0.5 + 4.5 * torch.rand(1).item(), math.pi * torch.rand(1).item()

    def draw(k):
        xs = 10 * torch.rand(k, 1) - 5
        return xs, amplitude * torch.sin(xs + phase)

    return draw


for meta_step in range(10):
    meta_optimizer.zero_grad()
    meta_loss = 0.0
    for _ in range(tasks_per_batch):
        draw = sample_task()
        (xs, ys), (xq, yq) = draw(8), draw(8)
        params = dict(model.named_parameters())
        support_loss = loss_fn(functional_call(model, params, (xs,)), ys)
        grads = torch.autograd.grad(support_loss, list(params.values()), create_graph=True)
        adapted = {n: p - inner_lr * g for (n, p), g in zip(params.items(), grads, strict=True)}
        meta_loss = meta_loss + loss_fn(functional_call(model, adapted, (xq,)), yq)
    meta_loss = meta_loss / tasks_per_batch
    meta_loss.backward()
    meta_optimizer.step()
    if meta_step % 3 == 0:
        print(f"meta step {meta_step}: query loss {meta_loss.item():.4f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
