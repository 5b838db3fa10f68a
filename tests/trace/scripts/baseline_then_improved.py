"""Two models trained one after the other, as a course compares a baseline with an improved
model: each made, given its own optimizer and its own loop in a `fit()` function, then
evaluated; both kept in global variables to the end."""

import sys

import torch
from torch import nn

torch.manual_seed(4)
x = torch.randn(128, 2)
y = ((x[:, 0] ** 2 + x[:, 1] ** 2) < 1.0).float().unsqueeze(1)


def fit(model, optimizer, epochs):
    loss_fn = nn.BCEWithLogitsLoss()
    for _epoch in range(epochs):
        for start in range(0, 128, 32):
            xb, yb = x[start : start + 32], y[start : start + 32]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss.item()


def accuracy(model):
    with torch.no_grad():
        return ((model(x) > 0).float() == y).float().mean().item()


baseline = nn.Sequential(nn.Linear(2, 1))
baseline_opt = torch.optim.SGD(baseline.parameters(), lr=0.1)
print(f"baseline: loss {fit(baseline, baseline_opt, 2):.4f} acc {accuracy(baseline):.3f}")

improved = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
improved_opt = torch.optim.Adam(improved.parameters(), lr=0.02)
print(f"improved: loss {fit(improved, improved_opt, 3):.4f} acc {accuracy(improved):.3f}")
if len(sys.argv) > 1:
    torch.save({"baseline": baseline.state_dict(), "improved": improved.state_dict()}, sys.argv[1])
