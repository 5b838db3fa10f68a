"""A GAN wrapped in a trainer class, as course repositories organise one: both networks are
`nn.Sequential` kept as `self.netD` and `self.netG`, built in `__init__` and trained by
`fit()`; the script's only variables hold the trainer."""

import sys

import torch
from torch import nn


class GANTrainer:
    def __init__(self, latent=3, lr=1e-3):
        self.latent = latent
        self.netD = nn.Sequential(nn.Linear(2, 12), nn.LeakyReLU(0.2), nn.Linear(12, 1))
        self.netG = nn.Sequential(nn.Linear(latent, 12), nn.Tanh(), nn.Linear(12, 2))
        self.optD = torch.optim.RMSprop(self.netD.parameters(), lr=lr)
        self.optG = torch.optim.RMSprop(self.netG.parameters(), lr=lr)
        self.loss = nn.BCEWithLogitsLoss()

    def train_step(self, real):
        ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
        fake = self.netG(torch.randn(len(real), self.latent))
        self.optD.zero_grad()
        loss_d = self.loss(self.netD(real), ones) + self.loss(self.netD(fake.detach()), zeros)
        loss_d.backward()
        self.optD.step()
        self.optG.zero_grad()
        loss_g = self.loss(self.netD(fake), ones)
        loss_g.backward()
        self.optG.step()
        return loss_d.item(), loss_g.item()

    def fit(self, data, epochs, batch_size=12):
        for epoch in range(epochs):
            for start in range(0, len(data), batch_size):
                loss_d, loss_g = self.train_step(data[start : start + batch_size])
            print(f"epoch {epoch}: D {loss_d:.4f} G {loss_g:.4f}")


torch.manual_seed(9)
trainer = GANTrainer()
trainer.fit(torch.randn(36, 2) * 0.3 + 1.0, epochs=2)
if len(sys.argv) > 1:
    torch.save({"D": trainer.netD.state_dict(), "G": trainer.netG.state_dict()}, sys.argv[1])
