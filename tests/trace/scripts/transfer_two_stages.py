"""The transfer-learning tutorial's shape: a pretrained backbone, first the whole model
fine-tuned with one optimizer, then a fresh model with a frozen backbone and its own
optimizer, both kept in global variables (the first optimizer is never used again)."""

import copy
import sys

import torch
import torch.nn as nn
from torch.optim import lr_scheduler

torch.manual_seed(31)
backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
x = torch.randn(48, 6)
y = (x[:, 0] * x[:, 1] > 0).long()


def train_model(model, criterion, optimizer, scheduler, num_epochs):
    for epoch in range(num_epochs):
        model.train()
        for start in range(0, 48, 12):
            inputs, labels = x[start : start + 12], y[start : start + 12]
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    return model


model_ft = nn.Sequential(copy.deepcopy(backbone), nn.Linear(16, 2))
criterion = nn.CrossEntropyLoss()
optimizer_ft = torch.optim.SGD(model_ft.parameters(), lr=0.05, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=2, gamma=0.1)
model_ft = train_model(model_ft, criterion, optimizer_ft, exp_lr_scheduler, num_epochs=2)

model_conv = nn.Sequential(copy.deepcopy(backbone), nn.Linear(16, 2))
for param in model_conv[0].parameters():
    param.requires_grad = False
optimizer_conv = torch.optim.SGD(model_conv[1].parameters(), lr=0.05, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)
model_conv = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler, num_epochs=2)
if len(sys.argv) > 1:
    torch.save({"ft": model_ft.state_dict(), "conv": model_conv.state_dict()}, sys.argv[1])
