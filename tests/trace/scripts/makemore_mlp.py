"""A character MLP in the makemore lectures' style: raw tensors in a list, an embedding by
indexing C[Xb], F.cross_entropy, `p.grad = None`, and `p.data += -lr * p.grad` by hand."""

import sys

import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
block_size = 3

X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + ".":
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        context = context[1:] + [ix]
X, Y = torch.tensor(X), torch.tensor(Y)

g = torch.Generator().manual_seed(2147483647)
C = torch.randn((len(stoi), 4), generator=g)
W1 = torch.randn((block_size * 4, 32), generator=g) * 0.2
b1 = torch.randn(32, generator=g) * 0.01
W2 = torch.randn((32, len(stoi)), generator=g) * 0.1
b2 = torch.zeros(len(stoi))
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
print(sum(p.nelement() for p in parameters), "parameters")

lossi = []
for i in range(40):
    ix = torch.randint(0, X.shape[0], (16,), generator=g)
    Xb, Yb = X[ix], Y[ix]

    emb = C[Xb]
    h = torch.tanh(emb.view(-1, block_size * 4) @ W1 + b1)
    logits = h @ W2 + b2
    loss = F.cross_entropy(logits, Yb)

    for p in parameters:
        p.grad = None
    loss.backward()

    lr = 0.5 if i < 30 else 0.05
    for p in parameters:
        p.data += -lr * p.grad

    if i % 10 == 0:
        print(f"{i:4d}/40: {loss.item():.4f}")
    lossi.append(loss.log10().item())

with torch.no_grad():
    emb = C[X]
    h = torch.tanh(emb.view(-1, block_size * 4) @ W1 + b1)
    print("full loss", F.cross_entropy(h @ W2 + b2, Y).item())
if len(sys.argv) > 1:
    torch.save({"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, sys.argv[1])
