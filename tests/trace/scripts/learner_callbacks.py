"""A fastai-free `Learner` in the style of course notebooks that rebuild it: `fit()` runs
`one_batch()` inside callback events (before_fit, before_batch, after_loss, after_step,
after_epoch), the optimizer's `zero_grad(set_to_none=True)` comes after its step, and a
metrics callback evaluates in `torch.no_grad()` at each epoch's end."""

import sys

import torch
import torch.nn.functional as F
from torch import nn


class Callback:
    order = 0


class CancelFitException(Exception):
    pass


class TrainEvalCB(Callback):
    def before_epoch(self, learn):
        learn.model.train()


class MetricsCB(Callback):
    order = 1

    def __init__(self, valid):
        self.valid = valid

    def after_epoch(self, learn):
        learn.model.eval()
        with torch.no_grad():
            xb, yb = self.valid
            acc = (learn.model(xb).argmax(1) == yb).float().mean().item()
        print(f"epoch {learn.epoch}: last loss {learn.loss.item():.4f} valid acc {acc:.3f}")


class StopAfterCB(Callback):
    def __init__(self, batches):
        self.batches = batches

    def after_step(self, learn):
        if learn.n_steps >= self.batches:
            raise CancelFitException()


class Learner:
    def __init__(
        self, model, data, loss_func=F.cross_entropy, lr=0.1, cbs=(), opt_func=torch.optim.SGD
    ):
        self.model, self.data, self.loss_func = model, data, loss_func
        self.lr, self.opt_func = lr, opt_func
        self.cbs = sorted(cbs, key=lambda c: c.order)
        self.n_steps = 0

    def callback(self, name):
        for cb in self.cbs:
            method = getattr(cb, name, None)
            if method is not None:
                method(self)

    def one_batch(self, xb, yb):
        self.callback("before_batch")
        self.preds = self.model(xb)
        self.loss = self.loss_func(self.preds, yb)
        self.callback("after_loss")
        self.loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        self.n_steps += 1
        self.callback("after_step")

    def fit(self, n_epochs):
        self.opt = self.opt_func(self.model.parameters(), self.lr)
        try:
            self.callback("before_fit")
            for self.epoch in range(n_epochs):
                self.callback("before_epoch")
                for xb, yb in self.data:
                    self.one_batch(xb, yb)
                self.callback("after_epoch")
        except CancelFitException:
            print(f"stopped after {self.n_steps} steps")


torch.manual_seed(3)
x = torch.randn(64, 5)
y = (x[:, :2].sum(1) > 0).long()
batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 48, 16)]
model = nn.Sequential(nn.Linear(5, 12), nn.ReLU(), nn.Linear(12, 2))
learn = Learner(
    model, batches, lr=0.2, cbs=[MetricsCB((x[48:], y[48:])), TrainEvalCB(), StopAfterCB(10)]
)
learn.fit(5)
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
