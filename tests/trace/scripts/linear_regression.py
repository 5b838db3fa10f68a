"""The notes' linear regression: fit y = 2x + 1 with one nn.Linear, full batch, SGD."""

import sys

import torch
import torch.nn as nn

device = torch.device("cpu")
epochs = 1000

torch.manual_seed(42)
n, noise = 100, 0.1
x_train = torch.rand(n, 1) * 10
y_train = 2 * x_train + 1 + torch.randn(n, 1) * noise


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


model = SimpleNet().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
criterion = nn.MSELoss()

for epoch in range(epochs):
    y_pred = model(x_train)
    loss = criterion(y_pred, y_train)

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    if (epoch + 1) % 100 == 0:
        w, b = model.linear.weight.item(), model.linear.bias.item()
        print(f"Epoch [{epoch + 1}/{epochs}], Loss: {loss.item():.4f}, w: {w:.2f}, b: {b:.2f}")

if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
