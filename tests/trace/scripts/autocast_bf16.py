"""Mixed precision as written for a CPU: torch.autocast("cpu", dtype=torch.bfloat16) around
the forward and the loss, and a GradScaler (a no-op without CUDA, as people write it)."""

import sys

import torch
import torch.nn as nn

torch.manual_seed(21)
x = torch.randn(48, 10)
y = (x[:, :5].sum(dim=1) > 0).long()
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
use_cuda = torch.cuda.is_available()
scaler = torch.amp.GradScaler("cuda", enabled=use_cuda)

for epoch in range(6):
    optimizer.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(x)
        loss = criterion(logits, y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(f"epoch {epoch} loss {loss.float().item():.4f} dtype {logits.dtype}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
