"""L-BFGS fits a cubic: optimizer.step(closure), the closure zeroes, runs the model, computes
the loss and calls backward(); L-BFGS calls it several times per step."""

import sys

import torch
import torch.nn as nn

torch.manual_seed(3)
x = torch.linspace(-1, 1, 40).unsqueeze(1)
y = x**3 - 0.5 * x + 0.02 * torch.randn_like(x)
model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=4, history_size=5)
criterion = nn.MSELoss()
evaluations = 0


def closure():
    global evaluations
    evaluations += 1
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    return loss


for step in range(5):
    loss = optimizer.step(closure)
    print(f"step {step}: loss {loss.item():.6f} after {evaluations} evaluations")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
