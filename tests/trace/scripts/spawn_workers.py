"""The Windows/macOS shape of a DataLoader script: everything under
`if __name__ == "__main__":`, a Dataset class defined in the script, and workers started
with the "spawn" method (they import the script again as `__mp_main__`)."""

import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Squares(Dataset):
    def __len__(self):
        return 32

    def __getitem__(self, i):
        x = torch.tensor([i / 32.0])
        return x, x * x


def main():
    torch.manual_seed(3)
    loader = DataLoader(Squares(), batch_size=8, num_workers=1, multiprocessing_context="spawn")
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(2):
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.5f}")
    if len(sys.argv) > 1:
        torch.save(model.state_dict(), sys.argv[1])


if __name__ == "__main__":
    main()
