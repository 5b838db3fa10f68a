"""Data read next to the script (`Path(__file__).parent / "tiny.txt"`) after an
`os.chdir` into that folder, a vocabulary file written and read back relative to it, and
`sys.argv` arguments (`--epochs 2`) parsed by hand."""

import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn as nn

HERE = Path(__file__).parent
os.chdir(HERE)
text = (HERE / "tiny.txt").read_text()
assert open("tiny.txt").read() == text  # relative to the working directory now
args = sys.argv[1:]
epochs = int(args[args.index("--epochs") + 1]) if "--epochs" in args else 1
state = args[0] if args and not args[0].startswith("--") else None

chars = sorted(set(text))
with tempfile.TemporaryDirectory() as tmp:
    (Path(tmp) / "vocab.txt").write_text("".join(chars))
    vocab = (Path(tmp) / "vocab.txt").read_text()
ids = torch.tensor([vocab.index(c) for c in text])
torch.manual_seed(6)
model = nn.Sequential(nn.Embedding(len(vocab), 8), nn.Linear(8, len(vocab)))
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(epochs):
    for start in range(0, len(ids) - 33, 32):
        xb, yb = ids[start : start + 32], ids[start + 1 : start + 33]
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.4f} cwd {Path.cwd().name}")
if state:
    torch.save(model.state_dict(), state)
