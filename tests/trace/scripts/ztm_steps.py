"""The "Zero to Mastery" course's functions: `train_step()` and `test_step()` returning
metrics, a `train()` that collects them in a results dict, `torch.inference_mode()` for
testing, a device string chosen from what is available, and `random_split` for train/val."""

import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

device = "cuda" if torch.cuda.is_available() else "cpu"


class BlobModelV0(nn.Module):
    def __init__(self, input_features, output_features, hidden_units=8):
        super().__init__()
        self.linear_layer_stack = nn.Sequential(
            nn.Linear(input_features, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, output_features),
        )

    def forward(self, x):
        return self.linear_layer_stack(x)


def accuracy_fn(y_true, y_pred):
    correct = torch.eq(y_true, y_pred).sum().item()
    return (correct / len(y_pred)) * 100


def train_step(model, data_loader, loss_fn, optimizer, accuracy_fn, device=device):
    train_loss, train_acc = 0, 0
    model.train()
    for X, y in data_loader:
        X, y = X.to(device), y.to(device)
        y_pred = model(X)
        loss = loss_fn(y_pred, y)
        train_loss += loss
        train_acc += accuracy_fn(y_true=y, y_pred=y_pred.argmax(dim=1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"loss": train_loss.item() / len(data_loader), "acc": train_acc / len(data_loader)}


def test_step(model, data_loader, loss_fn, accuracy_fn, device=device):
    test_loss, test_acc = 0, 0
    model.eval()
    with torch.inference_mode():
        for X, y in data_loader:
            X, y = X.to(device), y.to(device)
            test_pred = model(X)
            test_loss += loss_fn(test_pred, y)
            test_acc += accuracy_fn(y_true=y, y_pred=test_pred.argmax(dim=1))
    return {"loss": test_loss.item() / len(data_loader), "acc": test_acc / len(data_loader)}


def train(model, train_dataloader, test_dataloader, optimizer, loss_fn, epochs):
    results = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    for epoch in range(epochs):
        train_metrics = train_step(model, train_dataloader, loss_fn, optimizer, accuracy_fn)
        test_metrics = test_step(model, test_dataloader, loss_fn, accuracy_fn)
        print(
            f"Epoch: {epoch} | train_loss: {train_metrics['loss']:.4f} | train_acc: "
            f"{train_metrics['acc']:.2f} | test_loss: {test_metrics['loss']:.4f} | "
            f"test_acc: {test_metrics['acc']:.2f}"
        )
        results["train_loss"].append(train_metrics["loss"])
        results["train_acc"].append(train_metrics["acc"])
        results["test_loss"].append(test_metrics["loss"])
        results["test_acc"].append(test_metrics["acc"])
    return results


torch.manual_seed(42)
X_blob = torch.randn(100, 2) + torch.randint(0, 4, (100, 1)).float() * 2
y_blob = (X_blob.sum(dim=1) // 3).clamp(0, 3).long()
dataset = TensorDataset(X_blob, y_blob)
train_data, val_data = random_split(dataset, [80, 20], generator=torch.Generator().manual_seed(42))
train_dataloader = DataLoader(train_data, batch_size=20, shuffle=True)
val_dataloader = DataLoader(val_data, batch_size=10, shuffle=False)
model_0 = BlobModelV0(input_features=2, output_features=4).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(params=model_0.parameters(), lr=0.1)
results = train(model_0, train_dataloader, val_dataloader, optimizer, loss_fn, epochs=3)
print(results["test_acc"])
if len(sys.argv) > 1:
    torch.save(model_0.state_dict(), sys.argv[1])
