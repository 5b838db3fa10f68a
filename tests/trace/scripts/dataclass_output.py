"""A model that returns a dataclass (logits and loss together, as Hugging Face models
return a ModelOutput), trained with `outputs.loss.backward()`."""

import sys
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ClassifierOutput:
    loss: torch.Tensor | None
    logits: torch.Tensor


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, inputs, labels=None):
        logits = self.body(inputs)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        return ClassifierOutput(loss=loss, logits=logits)


torch.manual_seed(41)
inputs = torch.randn(36, 4)
labels = inputs.argmax(dim=1) % 3
model = Classifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
for step in range(9):
    outputs = model(inputs=inputs, labels=labels)
    outputs.loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    if step % 3 == 0:
        print(f"step {step}: loss {outputs.loss.item():.4f}")
model.eval()
with torch.no_grad():
    predictions = model(inputs).logits.argmax(dim=-1)
print("accuracy", (predictions == labels).float().mean().item())
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
