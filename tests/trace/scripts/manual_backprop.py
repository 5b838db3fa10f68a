"""makemore part 4 ("becoming a backprop ninja"): the gradients of a two-layer MLP computed
by hand (dlogits, dh, dhpreact, dW1, ...) and applied with `p.data += -lr * grad`, with
no `loss.backward()` anywhere, and the loss still computed for printing."""

import sys

import torch
import torch.nn.functional as F

g = torch.Generator().manual_seed(2147483647)
n_in, n_hidden, n_out, n = 6, 16, 5, 64
X = torch.randn((n, n_in), generator=g)
Y = torch.randint(0, n_out, (n,), generator=g)
W1 = torch.randn((n_in, n_hidden), generator=g) * 0.3
b1 = torch.randn(n_hidden, generator=g) * 0.1
W2 = torch.randn((n_hidden, n_out), generator=g) * 0.1
b2 = torch.randn(n_out, generator=g) * 0.1
parameters = [W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True

batch_size, lr = 16, 0.5
with torch.no_grad():
    for i in range(40):
        ix = torch.randint(0, n, (batch_size,), generator=g)
        Xb, Yb = X[ix], Y[ix]
        hpreact = Xb @ W1 + b1
        h = torch.tanh(hpreact)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Yb)

        # backward pass by hand
        dlogits = F.softmax(logits, 1)
        dlogits[range(batch_size), Yb] -= 1
        dlogits /= batch_size
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - h**2) * dh
        dW1 = Xb.T @ dhpreact
        db1 = dhpreact.sum(0)
        grads = [dW1, db1, dW2, db2]

        for p, grad in zip(parameters, grads, strict=True):
            p.data += -lr * grad
        if i % 10 == 0:
            print(f"{i:4d}/40: {loss.item():.4f}")
if len(sys.argv) > 1:
    torch.save({"W1": W1, "b1": b1, "W2": W2, "b2": b2}, sys.argv[1])
