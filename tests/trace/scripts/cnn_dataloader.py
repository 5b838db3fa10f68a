"""A small CNN on synthetic 8x8 images: DataLoader, two param groups, clipping, StepLR."""

import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
num_workers = int(sys.argv[2]) if len(sys.argv) > 2 else 0

images = torch.randn(64, 1, 8, 8)
labels = (images[:, 0, :4].mean(dim=(1, 2)) > images[:, 0, 4:].mean(dim=(1, 2))).long()
loader = DataLoader(
    TensorDataset(images, labels), batch_size=16, shuffle=True, num_workers=num_workers
)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)
        )
        self.classifier = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(x, 1))


model = SmallCNN()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(
    [
        {"params": model.features.parameters(), "lr": 0.05},
        {"params": model.classifier.parameters()},
    ],
    lr=0.1,
    momentum=0.9,
)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)


def train_one_epoch(epoch):
    model.train()
    running = 0.0
    for inputs, targets in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        running += loss.item()
    print(f"epoch {epoch}: loss {running / len(loader):.4f} lr {scheduler.get_last_lr()}")


if __name__ == "__main__":
    for epoch in range(3):
        train_one_epoch(epoch)
        scheduler.step()
    if len(sys.argv) > 1 and sys.argv[1] != "-":
        torch.save(model.state_dict(), sys.argv[1])
