"""A GAN written as course notebooks turned into scripts do it: both networks are
`nn.Sequential`, built inside main() and handed to a `train_gan(netD, netG, ...)` function;
the discriminator sees the generator's output detached, `zero_grad(set_to_none=True)`."""

import sys

import torch
import torch.nn as nn


def train_gan(netD, netG, optD, optG, real_data, epochs):
    criterion = nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        for start in range(0, len(real_data), 16):
            real = real_data[start : start + 16]
            noise = torch.randn(len(real), 4)
            fake = netG(noise)
            optD.zero_grad(set_to_none=True)
            loss_d = criterion(netD(real), torch.ones(len(real), 1)) + criterion(
                netD(fake.detach()), torch.zeros(len(real), 1)
            )
            loss_d.backward()
            optD.step()
            optG.zero_grad(set_to_none=True)
            loss_g = criterion(netD(fake), torch.ones(len(real), 1))
            loss_g.backward()
            optG.step()
        print(f"epoch {epoch} D {loss_d.item():.4f} G {loss_g.item():.4f}")


def main():
    torch.manual_seed(5)
    netD = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
    netG = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    optD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    real_data = torch.randn(48, 2) * 0.5 + torch.tensor([1.0, -1.0])
    train_gan(netD, netG, optD, optG, real_data, epochs=2)
    if len(sys.argv) > 1:
        torch.save({"D": netD.state_dict(), "G": netG.state_dict()}, sys.argv[1])


if __name__ == "__main__":
    main()
