"""A DataLoader with two persistent worker processes and a custom Dataset, read with a
relative path given on the command line (resolved against the unchanged working directory)."""

import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class Lines(Dataset):
    """Each line of a text file as a bag of character counts, labelled by its length parity."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.lines = [line.rstrip("\n") for line in f if line.strip()]

    def __len__(self):
        return len(self.lines)

    def __getitem__(self, i):
        line = self.lines[i]
        counts = torch.zeros(26)
        for ch in line.lower():
            if "a" <= ch <= "z":
                counts[ord(ch) - 97] += 1
        return counts, torch.tensor(len(line) % 2)


if __name__ == "__main__":
    torch.manual_seed(2)
    data_path = sys.argv[2] if len(sys.argv) > 2 else "tiny.txt"
    dataset = Lines(data_path)
    loader = DataLoader(dataset, batch_size=2, shuffle=True, num_workers=2, persistent_workers=True)
    model = nn.Linear(26, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(2):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {len(dataset)} lines, last loss {loss.item():.4f}")
    if len(sys.argv) > 1:
        torch.save(model.state_dict(), sys.argv[1])
