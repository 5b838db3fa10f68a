"""No training loop at all: a model applied under no_grad."""

import torch
from torch import nn

torch.manual_seed(9)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
with torch.no_grad():
    print(model(torch.randn(2, 4)).argmax(dim=1).tolist())
