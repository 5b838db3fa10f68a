"""A nanoGPT-flavoured character model with the input embedding tied to the output head
(`lm_head.weight = wte.weight`: one parameter in two modules), `model.apply(init_weights)`,
gradient clipping between backward and step, and a OneCycleLR stepped every iteration."""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1337)
text = "to be or not to be that is the question " * 8
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
vocab, block, n_embd = len(chars), 8, 16


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.mlp = nn.Sequential(
            nn.LayerNorm(n_embd),
            nn.Linear(n_embd, 4 * n_embd),
            nn.GELU(),
            nn.Linear(4 * n_embd, n_embd),
        )
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        pos = torch.arange(idx.shape[1])
        x = self.wte(idx) + self.wpe(pos)
        x = x + self.mlp(x)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, vocab), targets.view(-1))
        return logits, loss


def get_batch(batch_size=8):
    ix = torch.randint(len(data) - block, (batch_size,))
    x = torch.stack([data[i : i + block] for i in ix])
    y = torch.stack([data[i + 1 : i + block + 1] for i in ix])
    return x, y


model = TinyLM()
n_params = sum(p.numel() for p in model.parameters())
print(f"{n_params} parameters (the tied embedding counted once)")
max_iters = 20
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=max_iters)
for it in range(max_iters):
    xb, yb = get_batch()
    _, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    if it % 5 == 0:
        lr = scheduler.get_last_lr()[0]
        print(f"iter {it}: loss {loss.item():.4f} norm {norm.item():.4f} lr {lr:.5f}")
assert model.lm_head.weight is model.wte.weight
if len(sys.argv) > 1:
    torch.save(model.state_dict(), sys.argv[1])
