"""Installs a signal handler, reads input(), and trains with a hand-written loss."""

import os
import signal
import sys

import torch
from torch import nn


def on_signal(signum, frame):
    print(f"got signal {signal.Signals(signum).name}")


signal.signal(signal.SIGUSR1, on_signal)
os.kill(os.getpid(), signal.SIGUSR1)
name = input("your name? ")
print(f"hello {name}")

torch.manual_seed(5)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
x, y = torch.randn(16, 3), torch.randn(16, 1)
for _ in range(3):
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
print(f"final loss {((model(x) - y) ** 2).mean().item():.4f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
