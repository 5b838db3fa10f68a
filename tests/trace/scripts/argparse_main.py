"""A script with a main(): argparse (the arguments after `--`), a Config dataclass, a seed."""

import argparse
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class Config:
    epochs: int = 2
    batch_size: int = 16
    lr: float = 3e-3
    hidden: int = 24
    seed: int = 0


def parse_args() -> tuple[Config, str | None]:
    parser = argparse.ArgumentParser(description="train a tiny regressor")
    parser.add_argument("out", nargs="?", default=None, help="where to save the weights")
    parser.add_argument("--epochs", type=int, default=Config.epochs)
    parser.add_argument("--lr", type=float, default=Config.lr)
    parser.add_argument("--seed", type=int, default=Config.seed)
    args = parser.parse_args()
    return Config(epochs=args.epochs, lr=args.lr, seed=args.seed), args.out


def make_data(cfg: Config) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.linspace(-2, 2, 64).unsqueeze(1)
    return x, torch.sin(2 * x) + 0.05 * torch.randn_like(x)


def main() -> None:
    cfg, out = parse_args()
    torch.manual_seed(cfg.seed)
    x, y = make_data(cfg)
    model = nn.Sequential(nn.Linear(1, cfg.hidden), nn.Tanh(), nn.Linear(cfg.hidden, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    criterion = nn.MSELoss()
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x))
        total = 0.0
        for start in range(0, len(x), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        print(f"[{cfg}] epoch {epoch}: mse {total / len(x):.5f}")
    if out is not None:
        torch.save(model.state_dict(), out)


if __name__ == "__main__":
    main()
