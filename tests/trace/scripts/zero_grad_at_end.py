"""A d2l-style classifier loop: `model.zero_grad()` (the module's, not the optimizer's) at
the END of the loop body with `set_to_none=False`, a StepLR stepped once per epoch, and an
evaluation on a validation DataLoader every few steps with model.eval()/model.train()."""

import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(3)
X = torch.randn(96, 5)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).long()
train_loader = DataLoader(TensorDataset(X[:64], y[:64]), batch_size=16, shuffle=True)
val_loader = DataLoader(TensorDataset(X[64:], y[64:]), batch_size=16)

net = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Dropout(0.1), nn.Linear(16, 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)


def evaluate():
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for xb, yb in val_loader:
            correct += (net(xb).argmax(dim=1) == yb).sum().item()
            total += len(yb)
    net.train()
    return correct / total


step = 0
for epoch in range(3):
    for xb, yb in train_loader:
        out = net(xb)
        loss = criterion(out, yb)
        loss.backward()
        optimizer.step()
        net.zero_grad(set_to_none=False)
        step += 1
        if step % 3 == 0:
            print(f"step {step} loss {loss.item():.4f} val acc {evaluate():.3f}")
    scheduler.step()
    print(f"epoch {epoch} lr now {scheduler.get_last_lr()[0]}")
if len(sys.argv) > 1:
    torch.save(net.state_dict(), sys.argv[1])
