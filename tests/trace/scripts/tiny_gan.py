"""A tiny GAN on 2-D points: two models, two optimizers, the discriminator steps first."""

import sys

import torch
import torch.nn as nn

torch.manual_seed(7)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x)


G, D = Generator(), Discriminator()
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()

for step in range(10):
    real = torch.randn(16, 2) * 0.5 + torch.tensor([2.0, -1.0])
    fake = G(torch.randn(16, 2))

    opt_d.zero_grad()
    d_loss = bce(D(real), torch.ones(16, 1)) + bce(D(fake.detach()), torch.zeros(16, 1))
    d_loss.backward()
    opt_d.step()

    opt_g.zero_grad()
    g_loss = bce(D(fake), torch.ones(16, 1))
    g_loss.backward()
    opt_g.step()
    if step % 5 == 4:
        print(f"step {step}: d_loss {d_loss.item():.4f} g_loss {g_loss.item():.4f}")

if len(sys.argv) > 1:
    torch.save({"G": G.state_dict(), "D": D.state_dict()}, sys.argv[1])
