"""Schedules as courses write them: a linear warmup by hand (`for g in
optimizer.param_groups: g['lr'] = ...`) for the first steps, then `ReduceLROnPlateau`
stepped with the validation loss after each epoch; `model.zero_grad(set_to_none=True)`
before the forward and `optimizer.zero_grad()` again right after it (both harmless)."""

import sys

import torch
from torch import nn

torch.manual_seed(9)
x = torch.randn(120, 5)
y = x @ torch.randn(5, 1) + 0.1 * torch.randn(120, 1)
x_train, y_train, x_val, y_val = x[:96], y[:96], x[96:], y[96:]

model = nn.Sequential(nn.Linear(5, 16), nn.GELU(), nn.Linear(16, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
    optimizer, mode="min", factor=0.5, patience=0
)
criterion = nn.MSELoss()
base_lr, warmup_steps, step = 0.05, 4, 0
for epoch in range(4):
    model.train()
    for start in range(0, 96, 24):
        xb, yb = x_train[start : start + 24], y_train[start : start + 24]
        if step < warmup_steps:
            for g in optimizer.param_groups:
                g["lr"] = base_lr * (step + 1) / warmup_steps
        model.zero_grad(set_to_none=True)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        step += 1
    model.eval()
    with torch.no_grad():
        val_loss = criterion(model(x_val), y_val).item()
    scheduler.step(val_loss)
    print(
        f"epoch {epoch}: train {loss.item():.4f} val {val_loss:.4f} "
        f"lr {optimizer.param_groups[0]['lr']:.5f}"
    )
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
