"""Fine-tuning in two stages with both optimizers made up front: first only the new head
trains (`optimizer_head`), then the whole network with a smaller rate (`optimizer_all`,
which holds the head's parameters too); `ReduceLROnPlateau` watches a validation loss."""

import sys

import torch
from torch import nn

torch.manual_seed(21)
backbone = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
head = nn.Linear(16, 3)
model = nn.Sequential(backbone, head)
x = torch.randn(60, 5)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
criterion = nn.CrossEntropyLoss()
optimizer_head = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
optimizer_all = torch.optim.Adam(model.parameters(), lr=1e-3)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer_all, patience=0, factor=0.5)


def run_epoch(optimizer):
    model.train()
    for start in range(0, 48, 12):
        optimizer.zero_grad()
        loss = criterion(model(x[start : start + 12]), y[start : start + 12])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return criterion(model(x[48:]), y[48:]).item()


for p in backbone.parameters():
    p.requires_grad_(False)
for epoch in range(2):
    print(f"head epoch {epoch}: val {run_epoch(optimizer_head):.4f}")
for p in backbone.parameters():
    p.requires_grad_(True)
for epoch in range(3):
    val = run_epoch(optimizer_all)
    plateau.step(val)
    print(f"all epoch {epoch}: val {val:.4f} lr {optimizer_all.param_groups[0]['lr']}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
