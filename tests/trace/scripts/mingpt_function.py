"""minGPT's shape: the model returns `(logits, loss)` when targets are given,
`configure_optimizers()` splits the parameters into decayed and undecayed AdamW groups,
the loop lives in a `run(model, ...)` function, and `generate()` samples under
`@torch.no_grad()` at the end."""

import sys

import torch
import torch.nn as nn
from torch.nn import functional as F


class TinyGPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_embd=16):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Parameter(torch.zeros(1, block_size, n_embd))
        self.ln = nn.LayerNorm(n_embd)
        self.attn = nn.MultiheadAttention(n_embd, 2, batch_first=True)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)

    def configure_optimizers(self, weight_decay, learning_rate):
        decay = [p for n, p in self.named_parameters() if p.dim() >= 2 and n != "pos_emb"]
        no_decay = [p for n, p in self.named_parameters() if p.dim() < 2 or n == "pos_emb"]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.95))

    def forward(self, idx, targets=None):
        t = idx.size(1)
        x = self.tok_emb(idx) + self.pos_emb[:, :t]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        h = self.ln(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        logits = self.head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size :])
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1)), dim=1)
        return idx


def run(model, data, iters, batch_size=4):
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3)
    model.train()
    for it in range(iters):
        ix = torch.randint(len(data) - model.block_size - 1, (batch_size,))
        x = torch.stack([data[i : i + model.block_size] for i in ix])
        y = torch.stack([data[i + 1 : i + 1 + model.block_size] for i in ix])
        logits, loss = model(x, y)
        model.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if it % 4 == 0:
            print(f"iter {it}: train loss {loss.item():.5f}")


if __name__ == "__main__":
    torch.manual_seed(1337)
    text = "hello world, hello tracer. " * 6
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text])
    model = TinyGPT(len(chars), block_size=8)
    run(model, data, iters=12)
    model.eval()
    out = model.generate(torch.zeros((1, 1), dtype=torch.long), 20)[0].tolist()
    print("".join(chars[i] for i in out))
    if len(sys.argv) > 1:
        torch.save(model.state_dict(), sys.argv[1])
