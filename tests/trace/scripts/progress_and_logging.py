"""A loop with a hand-made tqdm-style progress bar (`\r`, `end=""`, `flush=True`) on
stdout and `logging` to stderr, as many course notebooks turned scripts do."""

import logging
import sys

import torch
import torch.nn as nn

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("train")

torch.manual_seed(4)
x = torch.randn(48, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
total = 12
log.info("starting %d steps", total)
for i in range(total):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    done = int(20 * (i + 1) / total)
    print(
        f"\rtraining |{'#' * done}{' ' * (20 - done)}| {i + 1}/{total} loss={loss.item():.4f}",
        end="",
        flush=True,
    )
    if (i + 1) % 4 == 0:
        log.info("checkpoint at step %d", i + 1)
print()
log.warning("done, final loss %.4f", loss.item())
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
