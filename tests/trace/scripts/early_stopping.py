"""Early stopping: validation after each epoch, the best weights saved with
torch.save(model.state_dict(), path) into the folder named by $CHECKPOINT_DIR, and a
`break` out of the epoch loop once the validation loss stopped improving."""

import os
import sys

import torch
import torch.nn as nn

torch.manual_seed(17)
x = torch.randn(80, 5)
y = x @ torch.randn(5, 1) + 0.3 * torch.randn(80, 1)
x_train, y_train, x_val, y_val = x[:24], y[:24], x[24:], y[24:]
model = nn.Sequential(nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
loss_fn = nn.MSELoss()
checkpoint = os.path.join(os.environ["CHECKPOINT_DIR"], "best.pt")
best, patience, bad_epochs = float("inf"), 3, 0
for epoch in range(100):
    model.train()
    for i in range(0, 24, 8):
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[i : i + 8]), y_train[i : i + 8])
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_loss = loss_fn(model(x_val), y_val).item()
    if val_loss < best:
        best, bad_epochs = val_loss, 0
        torch.save(model.state_dict(), checkpoint)
    else:
        bad_epochs += 1
    print(f"epoch {epoch}: val {val_loss:.4f} (best {best:.4f})")
    if bad_epochs >= patience:
        print(f"stopping early after epoch {epoch}")
        break
model.load_state_dict(torch.load(checkpoint))
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
