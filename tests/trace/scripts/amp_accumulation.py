"""Mixed precision written for a GPU and run on a CPU: `torch.amp.GradScaler(enabled=False)`
and `autocast(enabled=...)` off, the loss divided by the accumulation steps, a step every
`accum` micro-batches through `scaler.step`/`scaler.update`, `zero_grad(set_to_none=True)`
after the step."""

import sys

import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"
use_amp = device == "cuda"
torch.manual_seed(8)
model = nn.Sequential(nn.Linear(6, 24), nn.SiLU(), nn.Linear(24, 1)).to(device)
criterion = nn.SmoothL1Loss()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
scaler = torch.amp.GradScaler(device, enabled=use_amp)
x = torch.randn(96, 6, device=device)
y = x[:, :3].sum(1, keepdim=True) - x[:, 3:].prod(1, keepdim=True)
accum = 3
for epoch in range(2):
    for i, start in enumerate(range(0, 96, 8)):
        with torch.autocast(device_type=device, dtype=torch.float16, enabled=use_amp):
            out = model(x[start : start + 8])
            loss = criterion(out, y[start : start + 8]) / accum
        scaler.scale(loss).backward()
        if (i + 1) % accum == 0:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
    print(f"epoch {epoch}: {loss.item() * accum:.4f}")
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
