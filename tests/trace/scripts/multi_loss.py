"""Two heads on one trunk: two losses from one forward, the first backward with
retain_graph=True; then a multi-task sum with a gradient penalty from torch.autograd.grad."""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(4, 12), nn.ReLU())
        self.regress = nn.Linear(12, 1)
        self.classify = nn.Linear(12, 3)

    def forward(self, x):
        h = self.trunk(x)
        return self.regress(h), self.classify(h)


torch.manual_seed(9)
x = torch.randn(30, 4)
target = x.sum(dim=1, keepdim=True)
label = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
model = TwoHeads()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

for i in range(4):  # two backward calls per step
    optimizer.zero_grad()
    value, logits = model(x)
    l1 = F.mse_loss(value, target)
    l2 = F.cross_entropy(logits, label)
    l1.backward(retain_graph=True)
    l2.backward()
    optimizer.step()
    print(f"separate {i}: {l1.item():.4f} {l2.item():.4f}")

for i in range(4):  # one summed loss with a gradient penalty on the input
    optimizer.zero_grad()
    xi = x.clone().requires_grad_(True)
    value, logits = model(xi)
    l1 = F.mse_loss(value, target)
    l2 = F.cross_entropy(logits, label)
    (grad_x,) = torch.autograd.grad(value.sum(), xi, create_graph=True)
    penalty = grad_x.pow(2).sum(dim=1).mean()
    loss = l1 + 0.5 * l2 + 0.01 * penalty
    loss.backward()
    optimizer.step()
    print(f"summed {i}: {loss.item():.4f} penalty {penalty.item():.4f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
