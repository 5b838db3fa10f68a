"""An MLP whose hidden layers are an `nn.ModuleList` built in a loop, each wrapped in
`torch.nn.utils.parametrizations.weight_norm` (its weight becomes a magnitude and a
direction, `parametrizations.weight.original0/1`), with `torch.manual_seed` inside main()."""

import sys

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


class DeepMLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList()
        for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
            self.layers.append(weight_norm(nn.Linear(fan_in, fan_out)))
        self.out = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return self.out(x)


def main():
    torch.manual_seed(17)
    x = torch.linspace(-2, 2, 40).unsqueeze(1)
    y = torch.sin(2 * x)
    model = DeepMLP([1, 10, 10, 10, 1])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.MSELoss()
    for step in range(15):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(f"step {step}: {loss.item():.5f}")
    if len(sys.argv) > 1:
        torch.save(model.state_dict(), sys.argv[1])


if __name__ == "__main__":
    main()
