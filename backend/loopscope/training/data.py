"""Seeded data generators (pure torch; they draw from the global RNG, which the caller seeds)."""

from __future__ import annotations

import math

import torch


def make_line(n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The notes' data, in the reference script's order: x ~ U[0, 10), y = 2x + 1 + noise.

    Shapes: x (n, 1), y (n, 1).
    """
    x = torch.rand(n, 1) * 10
    y = 2 * x + 1 + torch.randn(n, 1) * noise
    return x, y


def make_sine(n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A noisy sine over [-π, π]: x sorted, y = sin(x) + noise. Shapes: (n, 1), (n, 1)."""
    x = torch.sort(torch.rand(n, 1) * 2 * math.pi - math.pi, dim=0).values
    y = torch.sin(x) + torch.randn(n, 1) * noise
    return x, y


def make_moons(n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved half circles. Shapes: x (n, 2) float, y (n,) int64 class labels."""
    n_top = n // 2
    labels = torch.cat([torch.zeros(n_top), torch.ones(n - n_top)]).long()
    angle = torch.rand(n) * math.pi
    top = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    bottom = torch.stack([1 - torch.cos(angle), 0.5 - torch.sin(angle)], dim=1)
    x = torch.where(labels.unsqueeze(1) == 0, top, bottom)
    x = x + torch.randn(n, 2) * noise
    return x, labels


def make_spiral(n: int, noise: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved spiral arms. Shapes: x (n, 2) float, y (n,) int64 class labels."""
    n_first = n // 2
    labels = torch.cat([torch.zeros(n_first), torch.ones(n - n_first)]).long()
    radius = torch.rand(n).sqrt()
    angle = radius * 3 * math.pi + labels * math.pi
    x = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
    x = x + torch.randn(n, 2) * noise * 0.5
    return x, labels
