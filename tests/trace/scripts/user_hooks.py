"""The learner's own hooks next to ours: a forward hook printing activation statistics,
a forward pre-hook, a full backward hook, a tensor hook on an activation and a parameter
hook clamping its gradient. Their printed order is part of the expected output."""

import sys

import torch
import torch.nn as nn

torch.manual_seed(11)
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))


def print_stats(module, inputs, output):
    print(f"  fwd {type(module).__name__}: mean {output.mean().item():+.4f}")


def print_input(module, inputs):
    print(f"  pre {type(module).__name__}: {tuple(inputs[0].shape)}")


def print_grad(module, grad_input, grad_output):
    print(f"  bwd {type(module).__name__}: |g_out| {grad_output[0].norm().item():.4f}")


model[0].register_forward_hook(print_stats)
model[2].register_forward_pre_hook(print_input)
model[2].register_full_backward_hook(print_grad)
model[0].weight.register_hook(lambda g: g.clamp(-0.5, 0.5))


def watch_grad(module, inputs, output):
    output.register_hook(lambda g: print(f"  tensor hook: {g.abs().sum().item():.4f}"))


model[1].register_forward_hook(watch_grad)

x = torch.randn(16, 3)
y = x.sum(dim=1, keepdim=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for i in range(4):
    print(f"iteration {i}")
    optimizer.zero_grad()
    out = model(x)
    loss = ((out - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    print(f"  loss {loss.item():.5f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
