"""A physics-informed network in float64 (`torch.set_default_dtype`): the ODE u' = -u with
u(0) = 1, its residual from `torch.autograd.grad(..., create_graph=True)` alongside the
usual backward of the total loss."""

import sys

import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)


class PINN(nn.Module):
    def __init__(self, width=20):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1)
        )

    def forward(self, t):
        return self.net(t)


model = PINN()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
t = torch.linspace(0, 2, 40).unsqueeze(1).requires_grad_(True)
t0 = torch.zeros(1, 1)
for epoch in range(25):
    optimizer.zero_grad()
    u = model(t)
    du_dt = torch.autograd.grad(u, t, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    residual = du_dt + u
    loss_pde = (residual**2).mean()
    loss_ic = (model(t0) - 1.0).pow(2).mean()
    loss = loss_pde + loss_ic
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: pde {loss_pde.item():.6e} ic {loss_ic.item():.6e}")
print("dtype", next(model.parameters()).dtype)
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
