"""The transfer-learning tutorial's `train_model`: `for phase in ['train', 'val']` with
`model.train()`/`model.eval()`, the forward under `torch.set_grad_enabled(phase == 'train')`,
backward and step only in the train phase, `lr_scheduler.StepLR` after each train phase, and
the best weights kept with `copy.deepcopy(model.state_dict())` and loaded at the end."""

import copy
import sys
import time

import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(21)
x = torch.randn(80, 6)
y = (x[:, 0] - x[:, 3] > 0).long()
dataloaders = {
    "train": DataLoader(TensorDataset(x[:48], y[:48]), batch_size=16, shuffle=True),
    "val": DataLoader(TensorDataset(x[48:], y[48:]), batch_size=16),
}
dataset_sizes = {"train": 48, "val": 32}
device = torch.device("cpu")


def train_model(model, criterion, optimizer, scheduler, num_epochs=3):
    since = time.time()
    best_model_wts = copy.deepcopy(model.state_dict())
    best_acc = 0.0
    for epoch in range(num_epochs):
        print(f"Epoch {epoch}/{num_epochs - 1}")
        print("-" * 10)
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()
            else:
                model.eval()
            running_loss = 0.0
            running_corrects = 0
            for inputs, labels in dataloaders[phase]:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data)
            if phase == "train":
                scheduler.step()
            epoch_loss = running_loss / dataset_sizes[phase]
            epoch_acc = running_corrects.double() / dataset_sizes[phase]
            print(f"{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}")
            if phase == "val" and epoch_acc > best_acc:
                best_acc = epoch_acc
                best_model_wts = copy.deepcopy(model.state_dict())
    elapsed = time.time() - since
    print(f"Training complete ({'fast' if elapsed < 60 else 'slow'})")
    print(f"Best val Acc: {best_acc:4f}")
    model.load_state_dict(best_model_wts)
    return model


model_ft = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Dropout(0.2), nn.Linear(12, 2))
criterion = nn.CrossEntropyLoss()
optimizer_ft = optim.SGD(model_ft.parameters(), lr=0.1, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=2, gamma=0.1)
model_ft = train_model(model_ft, criterion, optimizer_ft, exp_lr_scheduler, num_epochs=3)
if len(sys.argv) > 1:
    torch.save(model_ft.state_dict(), sys.argv[1])
