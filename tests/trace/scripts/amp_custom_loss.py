"""Mixed-precision style: a GradScaler whose first steps overflow (and are skipped), a
custom loss module, and a backbone and a head called one after the other."""

import sys

import torch
from torch import nn


class SquaredErrorLoss(nn.Module):
    def forward(self, prediction, target):
        return ((prediction - target) ** 2).mean()


torch.manual_seed(8)
backbone = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
head = nn.Linear(4, 1)
params = list(backbone.parameters()) + list(head.parameters())
optimizer = torch.optim.SGD(params, lr=0.05)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0**126, growth_interval=1000)
criterion = SquaredErrorLoss()
x, y = torch.randn(16, 3) * 100, torch.randn(16, 1)

for step in range(6):
    optimizer.zero_grad()
    loss = criterion(head(backbone(x)), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(f"step {step}: scale {scaler.get_scale():.3g}")
if len(sys.argv) > 1:
    torch.save({"backbone": backbone.state_dict(), "head": head.state_dict()}, sys.argv[1])
