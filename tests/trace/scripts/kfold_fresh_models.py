"""d2l's k-fold cross-validation shape: `get_net()` builds a fresh model (and `train()` a
fresh optimizer) for every fold; the previous fold's model is dropped. Anomaly detection
is on for the whole run."""

import sys

import torch
from torch import nn

torch.manual_seed(0)
X = torch.randn(40, 3)
y = X.sum(1, keepdim=True)


def get_net():
    return nn.Sequential(nn.Linear(3, 1))


def get_k_fold_data(k, i):
    fold = X.shape[0] // k
    valid = slice(i * fold, (i + 1) * fold)
    keep = torch.ones(X.shape[0], dtype=torch.bool)
    keep[valid] = False
    return X[keep], y[keep], X[valid], y[valid]


def train(net, X_train, y_train, X_valid, y_valid, num_epochs=3):
    optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
    loss = nn.MSELoss()
    for _ in range(num_epochs):
        optimizer.zero_grad()
        train_loss = loss(net(X_train), y_train)
        train_loss.backward()
        optimizer.step()
    with torch.no_grad():
        return train_loss.item(), loss(net(X_valid), y_valid).item()


k = 4
with torch.autograd.detect_anomaly():
    for i in range(k):
        net = get_net()
        train_l, valid_l = train(net, *get_k_fold_data(k, i))
        print(f"fold {i + 1}, train log mse {train_l:f}, valid log mse {valid_l:f}")
if len(sys.argv) > 1:
    torch.save(net.state_dict(), sys.argv[1])
