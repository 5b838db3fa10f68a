"""A progress bar drawn the way tqdm draws it: on stderr, each redraw starting with `\r`
and no newline until the epoch ends, flushed after every batch; the loss goes into the
bar's postfix."""

import sys
import time

import torch
from torch import nn


def bar(i, total, loss, width=20):
    filled = width * i // total
    drawn = "#" * filled + " " * (width - filled)
    sys.stderr.write(f"\rtrain: {100 * i // total:3d}%|{drawn}| {i}/{total} [loss={loss:.3f}]")
    sys.stderr.flush()


torch.manual_seed(4)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(40, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
pause = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
for epoch in range(2):
    for i in range(1, 11):
        xb, yb = x[(i - 1) * 4 : i * 4], y[(i - 1) * 4 : i * 4]
        loss = nn.functional.mse_loss(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        bar(i, 10, loss.item())
        time.sleep(pause)
    sys.stderr.write("\n")
    print(f"epoch {epoch} done")
if len(sys.argv) > 1 and sys.argv[1] != "-":
    torch.save(model.state_dict(), sys.argv[1])
