"""A training loop inside a Trainer class with fit() and callbacks; the model's
training_step() computes and returns the loss (in the style of Lightning, without it)."""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class LitClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch):
        x, y = batch
        return F.cross_entropy(self(x), y)

    @torch.no_grad()
    def validation_step(self, batch):
        x, y = batch
        return (self(x).argmax(dim=1) == y).float().mean()

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.02)


class PrintCallback:
    def on_epoch_end(self, trainer, model):
        print(f"epoch {trainer.epoch}: loss {trainer.last_loss:.4f} acc {trainer.last_acc:.3f}")


class Trainer:
    def __init__(self, max_epochs, callbacks=()):
        self.max_epochs = max_epochs
        self.callbacks = list(callbacks)
        self.epoch = 0
        self.last_loss = float("nan")
        self.last_acc = float("nan")

    def fit(self, model, train_batches, val_batches):
        optimizer = model.configure_optimizers()
        for epoch in range(self.max_epochs):
            self.epoch = epoch
            model.train()
            for batch in train_batches:
                loss = model.training_step(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                self.last_loss = loss.item()
            model.eval()
            accs = [model.validation_step(b) for b in val_batches]
            self.last_acc = float(torch.stack(accs).mean())
            for callback in self.callbacks:
                callback.on_epoch_end(self, model)


torch.manual_seed(13)
x = torch.randn(60, 6)
y = torch.bucketize(x[:, 0] + x[:, 1], torch.tensor([-0.5, 0.5]))
train = [(x[i : i + 15], y[i : i + 15]) for i in range(0, 45, 15)]
val = [(x[45:], y[45:])]
model = LitClassifier()
Trainer(max_epochs=3, callbacks=[PrintCallback()]).fit(model, train, val)
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
