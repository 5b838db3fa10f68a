"""The DCGAN tutorial's loop on 2-D points: `netD.zero_grad()` / `netG.zero_grad()` (the
modules', not the optimizers'), two discriminator backwards (real, then detached fake)
before its step, and both networks of the same class (`nn.Sequential`)."""

import sys

import torch
import torch.nn as nn

torch.manual_seed(999)
netG = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
netD = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1), nn.Sigmoid())
criterion = nn.BCELoss()
optimizerD = torch.optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = torch.optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
real_data = torch.randn(64, 2) * 0.5 + 1
for epoch in range(2):
    for i in range(0, 64, 16):
        real = real_data[i : i + 16]
        netD.zero_grad()
        label = torch.full((16,), 1.0)
        errD_real = criterion(netD(real).view(-1), label)
        errD_real.backward()
        fake = netG(torch.randn(16, 4))
        label.fill_(0.0)
        errD_fake = criterion(netD(fake.detach()).view(-1), label)
        errD_fake.backward()
        optimizerD.step()
        netG.zero_grad()
        label.fill_(1.0)
        errG = criterion(netD(fake).view(-1), label)
        errG.backward()
        optimizerG.step()
    print(f"[{epoch}] Loss_D: {errD_real.item() + errD_fake.item():.4f} Loss_G: {errG.item():.4f}")
if len(sys.argv) > 1:
    torch.save({"G": netG.state_dict(), "D": netD.state_dict()}, sys.argv[1])
