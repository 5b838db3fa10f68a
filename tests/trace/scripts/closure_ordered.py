"""A model built in a function (a closure over its width) as an `nn.Sequential` from an
`OrderedDict`, a step every `accum` micro-batches (`if (i + 1) % accum == 0`), a checkpoint
saved to a temporary file mid-training, and the whole model pickled at the end."""

import sys
import tempfile
from collections import OrderedDict

import torch
import torch.nn as nn


def build(width):
    def make():
        return nn.Sequential(
            OrderedDict(
                [
                    ("fc1", nn.Linear(4, width)),
                    ("act", nn.ReLU()),
                    ("fc2", nn.Linear(width, 1)),
                ]
            )
        )

    return make


torch.manual_seed(17)
model = build(10)()
opt = torch.optim.RMSprop(model.parameters(), lr=0.01)
x = torch.randn(64, 4)
y = x.pow(2).sum(dim=1, keepdim=True)
accum = 4
with tempfile.TemporaryDirectory() as tmp:
    for i in range(16):
        xb, yb = x[i * 4 : i * 4 + 4], y[i * 4 : i * 4 + 4]
        loss = nn.functional.l1_loss(model(xb), yb) / accum
        loss.backward()
        if (i + 1) % accum == 0:
            opt.step()
            opt.zero_grad()
            torch.save(model.state_dict(), f"{tmp}/ckpt.pt")
            print(f"step after micro-batch {i}: loss {loss.item() * accum:.4f}")
    restored = torch.load(f"{tmp}/ckpt.pt")
    assert all(torch.equal(restored[k], v) for k, v in model.state_dict().items())
    torch.save(model, f"{tmp}/whole.pt")
    again = torch.load(f"{tmp}/whole.pt", weights_only=False)
    print(type(again).__name__, list(again.state_dict())[:2])
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
