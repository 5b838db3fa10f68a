"""d2l's chapter-3 helpers: an `Accumulator` of sums, `train_epoch_ch3(net, train_iter,
loss, updater)` where the updater is either a torch optimizer or a function (here the
optimizer), a loss with reduction='none' averaged before backward(), and
`evaluate_accuracy()` in eval mode."""

import sys

import torch
from torch import nn


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=True)]

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        batch_loss = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            batch_loss.mean().backward()
            updater.step()
        else:
            batch_loss.sum().backward()
            updater(X.shape[0])
        metric.add(float(batch_loss.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        train_loss, train_acc = train_metrics
        print(
            f"epoch {epoch + 1}, loss {train_loss:.3f}, "
            f"train acc {train_acc:.3f}, test acc {test_acc:.3f}"
        )


def load_array(data_arrays, batch_size, is_train=True):
    dataset = torch.utils.data.TensorDataset(*data_arrays)
    return torch.utils.data.DataLoader(dataset, batch_size, shuffle=is_train)


torch.manual_seed(0)
features = torch.randn(120, 1, 4, 4)
labels = (features.mean(dim=(1, 2, 3)) > 0).long() + (features[:, 0, 0, 0] > 1).long()
train_iter = load_array((features[:90], labels[:90]), 18)
test_iter = load_array((features[90:], labels[90:]), 30, is_train=False)
net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))


def init_weights(m):
    if type(m) is nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


net.apply(init_weights)
loss = nn.CrossEntropyLoss(reduction="none")
trainer = torch.optim.SGD(net.parameters(), lr=0.1)
train_ch3(net, train_iter, test_iter, loss, 3, trainer)
if len(sys.argv) > 1:
    torch.save(net.state_dict(), sys.argv[1])
