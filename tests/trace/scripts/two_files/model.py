"""The model and its loss, in a file of their own."""

import torch.nn.functional as F
from torch import nn


class Regressor(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.hidden = nn.Linear(n_in, 6)
        self.out = nn.Linear(6, 1)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


def compute_loss(model, x, y):
    prediction = model(x)
    return F.smooth_l1_loss(prediction, y)
